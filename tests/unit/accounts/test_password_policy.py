from app.accounts.passwords import MAX_LENGTH, password_problems


def test_a_long_uncommon_password_passes():
    assert password_problems("violet-harbour-lantern-42", email="ada@example.com") == []


def test_too_short_and_too_long():
    assert any("at least 10" in p for p in password_problems("abc12345!"))
    assert any("at most" in p for p in password_problems("x1" * (MAX_LENGTH // 2 + 1)))


def test_common_passwords_and_repeated_characters_are_refused():
    for password in ("password123", "PASSWORD123", "1234567890", "qwertyuiop", "aaaaaaaaaaaa"):
        assert any("too common" in p for p in password_problems(password)), password


def test_the_email_or_its_local_part_is_refused():
    assert any("email" in p for p in password_problems("Ada.Lovelace@Example.com",
                                                        email="ada.lovelace@example.com"))
    assert any("email" in p for p in password_problems("ada.lovelace", email="ada.lovelace@example.com"))
