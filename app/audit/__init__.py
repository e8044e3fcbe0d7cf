"""The append-only audit trail of every read and change of patient data, logins and denials."""
