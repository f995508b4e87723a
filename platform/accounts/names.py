"""What the site calls a person: in the header, in allauth's messages and in mails.

People who register give an email address, and allauth makes up a username from it
("ux_1796649814") that they never chose and may not recognise; operators give staff and demo
logins a username they do use. So: the name a person chose (`first_name`, set on the "Your
name" page), else their email address, else their username.
"""


def user_display(user) -> str:
    """allauth's ACCOUNT_USER_DISPLAY (settings.py): also `{% user_display %}` in templates."""
    return (user.first_name or "").strip() or user.email or user.get_username()
