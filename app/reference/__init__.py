"""Reference data every layer may read: roles, credentials, US states, modalities, common passwords."""
