from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.schemas import UserOut


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Deliberately loose: a malformed e-mail is just another failed login (401), not a 422 that
    # would let a caller probe the validator.
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    # Required for accounts with two-factor sign-in: a current TOTP code or a recovery code.
    otp: str | None = Field(default=None, max_length=20)


class TokenOut(BaseModel):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    user: UserOut
