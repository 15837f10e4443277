"""The troubleshooting specialist: warning lights, trouble codes, faults; safety first."""
