"""Accounts: sign-up, profile settings, look-ups."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Annotated, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import AfterValidator, BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from pixel_studio.models import CreditKind, User
from pixel_studio.services import credits
from pixel_studio.services.errors import Conflict, InvalidInput, NotFound
from pixel_studio.storage import Storage, StorageError
from pixel_studio.storage.images import sniff_image

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
M = TypeVar("M", bound=BaseModel)
USERNAME_RE = re.compile(r"^[a-z0-9_]{3,20}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


def _username(value: str) -> str:
    value = value.strip().lower()
    if not USERNAME_RE.match(value):
        raise ValueError("Username must be 3–20 characters: letters, digits or _.")
    return value


def has_control_chars(value: str) -> bool:
    """NUL and other control characters: PostgreSQL refuses NUL in text (a 500 if it got there)."""
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in value)


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 320 or not EMAIL_RE.match(value) or has_control_chars(value):
        raise ValueError("Enter a valid email address.")
    return value


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise ValueError(f"Password must be at least {MIN_PASSWORD} characters.")
    if len(value) > 256:
        raise ValueError("Password is too long (256 characters at most).")
    return value


Username = Annotated[str, AfterValidator(_username)]
Email = Annotated[str, AfterValidator(_email)]
Password = Annotated[str, AfterValidator(_password)]


class SignUp(BaseModel):
    username: Username
    email: Email
    password: Password


class OAuthSignUp(BaseModel):
    """An account made by an identity provider: no password of its own."""

    username: Username
    email: Email


def parse(model: type[M], data: dict[str, object]) -> M:
    """Validate `data`; the first problem becomes an InvalidInput naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else None
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "This field is required."
        raise InvalidInput(message, field=field) from None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_sign_up(session: Session, username: str, email: str, password: str) -> SignUp:
    """Everything `create_user` would refuse, checked without writing anything."""
    data = parse(SignUp, {"username": username, "email": email, "password": password})
    _check_free(session, data.username, data.email)
    return data


def _check_free(session: Session, username: str | None, email: str | None) -> None:
    if username and session.exec(select(User.id).where(User.username == username)).first():
        raise Conflict("That username is taken.", field="username")
    if email and session.exec(select(User.id).where(User.email == email)).first():
        raise Conflict("An account with that email already exists.", field="email")


def create_user(
    session: Session,
    username: str,
    email: str,
    password: str | None,
    *,
    bonus: int,
    is_admin: bool = False,
) -> User:
    """Create an account with its sign-up bonus recorded in the ledger. Caller commits."""
    data: SignUp | OAuthSignUp
    if password is None:
        data = parse(OAuthSignUp, {"username": username, "email": email})
    else:
        data = parse(SignUp, {"username": username, "email": email, "password": password})
    _check_free(session, data.username, data.email)
    user = User(
        username=data.username,
        email=data.email,
        password_hash=hash_password(password) if password is not None else None,
        is_admin=is_admin,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent sign-up took the name between our check and the insert.
        session.rollback()
        raise Conflict("That username or email is taken.", field="username") from None
    assert user.id is not None
    if bonus:
        credits.change_balance(session, user.id, bonus, CreditKind.bonus, note="Welcome bonus")
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("That user does not exist.")
    return user


def find_by_login(session: Session, login: str) -> User | None:
    """A user by username or email, case-insensitively."""
    login = login.strip().lower()
    if has_control_chars(login):
        raise InvalidInput("Enter a valid username or email.", field="login")
    column = User.email if "@" in login else User.username
    return session.exec(select(User).where(func.lower(col(column)) == login)).first()


def find_by_username(session: Session, username: str) -> User | None:
    # Deleted accounts (tombstones, services/accounts/account.py) are found by nobody.
    return session.exec(
        select(User).where(
            User.username == username.strip().lower(), col(User.deleted_at).is_(None)
        )
    ).first()


class UsernameChange(BaseModel):
    username: Username


def change_username(session: Session, user_id: int, new_username: str) -> User:
    data = parse(UsernameChange, {"username": new_username})
    user = get_user(session, user_id)
    if data.username == user.username:
        return user
    _check_free(session, data.username, None)
    user.username = data.username
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("That username is taken.", field="username") from None
    return user


def set_default_privacy(session: Session, user_id: int, private: bool) -> User:
    user = get_user(session, user_id)
    user.default_private = private
    session.add(user)
    session.flush()
    return user


def set_avatar_key(session: Session, user_id: int, key: str | None) -> tuple[User, str | None]:
    """Point the user at a new avatar; returns the user and the old key (for deletion)."""
    user = get_user(session, user_id)
    old = user.avatar_key
    user.avatar_key = key
    session.add(user)
    session.flush()
    return user, old


AVATAR_MAX_BYTES = 2 * 1024 * 1024
# Shown at 512 px at most: anything larger is only disk and bandwidth.
AVATAR_MAX_SIDE = 512
# Refused from the header, before a pixel is decoded: a 2 MB PNG of one colour can claim a
# canvas whose decoding takes gigabytes. 16 MP still takes any phone photo that fits in 2 MB.
AVATAR_MAX_PIXELS = 16_000_000


def replace_avatar(session: Session, storage: Storage, user_id: int, data: bytes) -> str:
    """Check the upload (content, size, pixel count), re-encode it as a WebP of at most
    `AVATAR_MAX_SIDE` px, store it under a fresh key, point the user at it, then delete the
    previous file. Commits; returns the new key. `InvalidImage` (with a message for the
    user) when the upload is refused; nothing is then stored.
    """
    # Decoding comes first: the session has not touched the database yet, so no connection
    # is held while Pillow works.
    image = sniff_image(
        data,
        max_bytes=AVATAR_MAX_BYTES,
        max_pixels=AVATAR_MAX_PIXELS,
        output_format="webp",
        max_side=AVATAR_MAX_SIDE,
    )
    get_user(session, user_id)
    # A fresh name per upload: caches never serve the previous picture under the same URL.
    key = f"avatars/u{user_id}/{uuid.uuid4().hex}.webp"
    storage.put(key, image.data, image.content_type)
    try:
        _user, old_key = set_avatar_key(session, user_id, key)
        session.commit()
    except BaseException:
        session.rollback()
        storage.delete(key)
        raise
    if old_key and old_key != key:
        try:
            storage.delete(old_key)
        except StorageError:
            # The new avatar is in place; the storage sweep removes the leftover file.
            log.warning("could not delete old avatar %s", old_key, exc_info=True)
    return key
