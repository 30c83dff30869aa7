# ruff: noqa: E501, RUF001 -- sentences in French typography, with the typographic apostrophe.
"""French for the site's own strings (Django's admin and auth bring their own)."""

FRENCH = {
    "Language": "Langue",
    "language": "langue",
    "translation of": "traduction de",
    "The article this one translates, if any.": "L’article que celui-ci traduit, s’il y en a un.",
    "Log in": "Connexion",
    "Too many attempts": "Trop de tentatives",
    'Forgotten your password? You can <a href="%(reset_url)s">reset it</a> once the wait is over.': 'Mot de passe oublié ? Vous pourrez <a href="%(reset_url)s">le réinitialiser</a> une fois l’attente passée.',
    "Server error": "Erreur du serveur",
    "Something went wrong": "Une erreur s’est produite",
    "The error has been logged. Please try again in a moment.": "L’erreur a été consignée. Veuillez réessayer dans un instant.",
    "Briefly unavailable": "Momentanément indisponible",
    "The site is briefly unavailable. Please try again in a few seconds.": "Le site est momentanément indisponible. Veuillez réessayer dans quelques secondes.",
    "Home": "Accueil",
    "Skip to content": "Aller au contenu",
    "Main": "Principal",
    "Articles": "Articles",
    "Admin": "Administration",
    "Sign out": "Se déconnecter",
    "Sign in": "Se connecter",
    "Search": "Rechercher",
    "Change language": "Changer de langue",
    "Draft: only staff can see this page.": "Brouillon : seule l’équipe voit cette page.",
    'Scheduled: visitors see this page from <time datetime="%(iso)s">%(when)s</time>.': 'Programmé : les visiteurs verront cette page à partir du <time datetime="%(iso)s">%(when)s</time>.',
    "Archived: kept for reference.": "Archivé : conservé pour mémoire.",
    "Forgotten your password?": "Mot de passe oublié ?",
    "Someone asked to reset the password of your account %(username)s on %(site_name)s.": "Quelqu’un a demandé la réinitialisation du mot de passe de votre compte %(username)s sur %(site_name)s.",
    "To choose a new password, open this link:": "Pour choisir un nouveau mot de passe, ouvrez ce lien :",
    "If you did not ask for this, ignore this e-mail: your password stays as it is.": "Si vous n’avez rien demandé, ignorez ce courriel : votre mot de passe reste inchangé.",
    "Reset your password on %(site_name)s": "Réinitialisez votre mot de passe sur %(site_name)s",
    "Date/time": "Date et heure",
    "User": "Utilisateur",
    "Action": "Action",
    "This object doesn’t have a change history. It probably wasn’t added via this admin site.": "Cet objet n’a pas d’historique de modifications. Il n’a probablement pas été ajouté au moyen de ce site d’administration.",
}

FRENCH_PLURAL = {
    "There have been too many attempts from here or for this account. For your safety, please wait %(minutes)s minute before trying again.": (
        "Il y a eu trop de tentatives depuis cet endroit ou pour ce compte. Par sécurité, veuillez attendre %(minutes)s minute avant de réessayer.",
        "Il y a eu trop de tentatives depuis cet endroit ou pour ce compte. Par sécurité, veuillez attendre %(minutes)s minutes avant de réessayer.",
    ),
    "entry": ("entrée", "entrées"),
}
