"""`ase-impact portal` and `ase-impact portal-user …`: the portal's commands.

The console script adds them to the library's command line (orchestration/cli.py passes
`register` to ase_impact.cli.main), so that cli and portal stay peers that do not import
each other.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ase_impact.core.keys import ASSOCIATION_CODE

USAGE_ERROR = 2


def register(commands) -> None:
    """Add the portal's subcommands to the `ase-impact` parser's subparsers."""
    portal = commands.add_parser(
        "portal", help="lance le portail web des associations (dépôt et vérification)"
    )
    portal.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (127.0.0.1)")
    portal.add_argument("--port", type=int, default=8000, help="port d'écoute (8000)")
    portal.add_argument(
        "--trusted-proxies",
        default=None,
        help="adresses du reverse proxy dont les en-têtes X-Forwarded-* sont crus, séparées "
        "par des virgules (par défaut : ASE_IMPACT_PORTAL_TRUSTED_PROXIES, sinon aucune)",
    )
    portal.set_defaults(handler=_serve)

    users = commands.add_parser("portal-user", help="gère les comptes du portail")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="crée un compte")
    add.add_argument("username", help="identifiant (minuscules, chiffres, . _ @ -)")
    role = add.add_mutually_exclusive_group(required=True)
    role.add_argument("--association", help="code de l'association du compte")
    role.add_argument(
        "--admin", action="store_true", help="compte du Département : voit toutes les associations"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="lit le mot de passe sur l'entrée standard (scripts) au lieu de le demander",
    )
    add.set_defaults(handler=_add_user)

    password = actions.add_parser(
        "password", help="change le mot de passe d'un compte et ferme ses sessions"
    )
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=_change_password)

    listing = actions.add_parser("list", help="liste les comptes")
    listing.set_defaults(handler=_list_users)

    for name, help_text in (
        ("disable", "désactive un compte et ferme ses sessions"),
        ("enable", "réactive un compte"),
        ("unlock", "lève le blocage d'un compte après des échecs de connexion"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("username")
        action.set_defaults(handler=_account_action, account_action=name)
    client = actions.add_parser(
        "unlock-client",
        help="lève le blocage d'une adresse après des échecs de connexion (tous ses comptes)",
    )
    client.add_argument("address", help="adresse IP bloquée, telle que le journal la montre")
    client.set_defaults(handler=_unlock_client)


def _store():
    from ase_impact.core.settings import load_settings
    from ase_impact.portal.config import load_portal_config
    from ase_impact.portal.store import Store

    return Store(load_portal_config(load_settings()).database)


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Confirmez le mot de passe : ") != first:
        print("Les deux saisies diffèrent.", file=sys.stderr)
        return None
    return first


def _add_user(args: argparse.Namespace, _) -> int:
    from ase_impact.core.settings import load_settings
    from ase_impact.portal.auth import USERNAME, PasswordRefused, hash_password, normalise_username
    from ase_impact.publish.template import registry_name

    username = normalise_username(args.username)
    if not USERNAME.fullmatch(username):
        print(
            f"Identifiant « {args.username} » invalide : 3 à 64 caractères parmi minuscules, "
            "chiffres, point, tiret, tiret bas et @.",
            file=sys.stderr,
        )
        return USAGE_ERROR
    code = None if args.admin else args.association
    if code is not None and not ASSOCIATION_CODE.fullmatch(code):
        print(f"Code association « {code} » invalide (par exemple cap-avenir).", file=sys.stderr)
        return USAGE_ERROR
    store = _store()
    if store.account(username) is not None:
        print(f"Le compte « {username} » existe déjà.", file=sys.stderr)
        return 1
    password = _read_password(args.password_stdin)
    if password is None:
        return 1
    try:
        password_hash = hash_password(password)
    except PasswordRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    store.add_account(username, code, password_hash)
    store.audit("creation_compte", "reussie", username=username, association_code=code)
    if code is None:
        print(f"Compte du Département « {username} » créé : il voit toutes les associations.")
    else:
        print(f"Compte « {username} » créé pour l'association {code}.")
        if registry_name(code) is None:
            print(
                f"Attention : {code} n'est pas dans le registre des associations "
                f"({load_settings().registry}) ; ses fichiers seront refusés tant qu'elle n'y "
                "est pas inscrite."
            )
    return 0


def _existing_account(args: argparse.Namespace):
    """The store and the named account's username, or (None, None) said in French."""
    from ase_impact.portal.auth import normalise_username

    store = _store()
    username = normalise_username(args.username)
    if store.account(username) is None:
        print(f"Aucun compte « {username} ».", file=sys.stderr)
        return None, None
    return store, username


def _change_password(args: argparse.Namespace, _) -> int:
    from ase_impact.portal.auth import PasswordRefused, hash_password

    store, username = _existing_account(args)
    if store is None:
        return 1
    password = _read_password(args.password_stdin)
    if password is None:
        return 1
    try:
        store.set_password(username, hash_password(password))
    except PasswordRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    store.audit("mot_de_passe", "change", username=username)
    print(f"Mot de passe de « {username} » changé.")
    return 0


def _list_users(args: argparse.Namespace, _) -> int:
    for account in _store().accounts():
        role = "Département" if account.is_admin else f"association {account.association_code}"
        state = " (désactivé)" if account.disabled else ""
        print(f"{account.username} · {role}{state}")
    return 0


def _account_action(args: argparse.Namespace, _) -> int:
    from ase_impact.portal.auth import account_subject

    store, username = _existing_account(args)
    if store is None:
        return 1
    if args.account_action == "unlock":
        store.unlock(account_subject(username))
        print(f"Compte « {username} » débloqué.")
    else:
        store.set_disabled(username, args.account_action == "disable")
        word = "désactivé" if args.account_action == "disable" else "réactivé"
        print(f"Compte « {username} » {word}.")
    store.audit(args.account_action, "reussi", username=username)
    return 0


def _unlock_client(args: argparse.Namespace, _) -> int:
    from ase_impact.portal.auth import client_subject

    store = _store()
    store.unlock(client_subject(args.address))
    store.audit("unlock-client", "reussi", client=args.address)
    print(f"Adresse « {args.address} » débloquée.")
    return 0


def _serve(args: argparse.Namespace, _) -> int:
    import uvicorn

    from ase_impact.core.deadlines import deadline_day
    from ase_impact.core.settings import load_settings
    from ase_impact.portal.app import create_app
    from ase_impact.portal.config import PortalConfigError, load_portal_config

    settings = load_settings()
    deadline_day()  # every page shows due dates: a wrong day stops the start, said in French
    try:
        config = load_portal_config(settings)
        if args.trusted_proxies is not None:
            proxies = tuple(p.strip() for p in args.trusted_proxies.split(",") if p.strip())
            config = load_portal_config(settings, trusted_proxies=proxies)
        app = create_app(settings, config)
    except PortalConfigError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"Portail des associations : http://{args.host}:{args.port}/")
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        # Forwarded headers are believed only from the reverse proxy's addresses.
        proxy_headers=bool(config.trusted_proxies),
        forwarded_allow_ips=",".join(config.trusted_proxies) or None,
        server_header=False,
        date_header=False,
    )
    return 0
