"""Every diagnostic code: title, default severity, meaning, how to fix it, an example.

The rules declare their own (:mod:`bilan.rules`: code, title and severity, and a docstring
with an example that fails and one that passes). The codes of the loader, produced by the
modules that read the files (F files, Y YAML syntax, S schema, N narrative), are declared
here, with the example that produced each message (:data:`LOADER_CODES`).
``docs/diagnostics.md`` is generated from this catalogue (:mod:`bilan.catalogue_doc`).
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bilan import rules
from bilan.diagnostics import Severity

MARK = re.compile(r"#\s*←\s*([A-Z]\d{3})\s*$")
"""How an example marks a line its rule points at: ``# ← R004`` at the end of the line."""
_FILE = re.compile(r"^# (data/\S+)(?: = (data/\S+))?$")
"""How an example names a file it changes (``= other``: a new file, copied from ``other``)."""
_EDIT = re.compile(r"^(\+?)(\d+): (.*)$")
"""A change of an example: ``N: text`` replaces line N, ``+N: text`` inserts it as line N."""


@dataclass(frozen=True)
class Example:
    """A rule's example: its files, the example folder (:data:`BASE`) changed as the
    rule's docstring says (see :mod:`bilan.rules`)."""

    files: dict[str, str]
    """The files that differ from :data:`BASE`, in full."""

    def marks(self) -> list[tuple[str, int, str]]:
        """(file, line, code) of each ``# ← CODE`` mark, in order."""
        return [
            (path, number, found.group(1))
            for path, text in self.files.items()
            for number, line in enumerate(text.splitlines(), 1)
            if (found := MARK.search(line))
        ]


@dataclass(frozen=True)
class Entry:
    """One diagnostic code, as the documentation shows it."""

    code: str
    title: str
    severity: Severity
    description: str
    """What it means, in French (Markdown)."""
    fix: str
    """How to fix it, in French (Markdown)."""
    example: str = ""
    """A loader code: the change to the example folder that produces it (Markdown)."""
    message: str = ""
    """A loader code: the first line that change made ``bilan validate`` print (Markdown)."""
    failing: Example | None = None
    """A rule: a data folder it finds fault with, at the marked lines, and nothing else."""
    passing: Example | None = None
    """A rule: the same folder, corrected: nothing is found at all."""

    @property
    def is_rule(self) -> bool:
        """Only a rule's severity can be changed by a project (see rules.severity_overrides)."""
        return self.failing is not None


BASE: dict[str, str] = {
    "data/communes.yaml": """\
metropole:
  nom: Métropole test
  population: 1000
communes:
  - {id: alpha, nom: Alpha, insee: "34001"}
  - {id: beta, nom: Bêta, insee: "34002"}
  - {id: le-cres, nom: Le Crès, insee: "34090"}
""",
    "data/actions/e01-test.yaml": """\
id: e01-test
titre: Fiche de test
actions:
  - type: existante
    numero: 1
    titre: Action de test
    themes: [fonctions-ressources]
""",
    "data/rapports/2016/bilans/e01-test.yaml": """\
fiche: e01-test
etat: en-cours
calendrier:
  debut: 2015-T4
  phases: [1, 2, 3, 4]
""",
    "data/rapports/2016/rapport.yaml": """\
annee: 2016
organisme: Métropole test
titre: Schéma de mutualisation
sous_titre: Bilan 2016
publication: Janvier 2017
calendrier: {debut: 2015-T4, fin: 2019-T4}
""",
    "data/rapports/2016/00-edito.md": """\
---
titre: Édito
ordre: 0
---

L'établissement et ses {{ chiffres.communes.total }} communes.
""",
}
"""The example folder: valid, and the starting point of every example of the catalogue."""


LOADER_CODES: tuple[Entry, ...] = (
    Entry(
        "F002",
        "Fichier qui n'est pas en .yaml dans data/actions/",
        Severity.ERROR,
        "Un fichier (ou un sous-dossier) de `data/actions/` n'est pas une fiche en `.yaml` (une copie de sauvegarde donne `F007`, un fichier laissé par un éditeur est ignoré). De même pour un bilan dans `data/rapports/<année>/bilans/`.",
        "S'il s'agit d'une fiche, renommez-la avec l'extension `.yaml` (et pas `.yml`). Sinon, rangez le fichier ailleurs que dans `data/actions/`.",
        example="Ajouter un fichier `data/actions/notes.txt` (même chose pour `e02-test.yml`, écrit avec `.yml`).",
        message="`data/actions/notes.txt: erreur F002: fichier ignoré : data/actions/ ne contient que des fiches « .yaml »`",
    ),
    Entry(
        "F003",
        "Lien symbolique qui sort du dossier de données",
        Severity.ERROR,
        "Le fichier est un lien symbolique (raccourci) qui mène en dehors du dossier de données : il n'est pas lu.",
        "Remplacez le lien par une vraie copie du fichier, placée dans le dossier de données.",
        example="`data/actions/e02-test.yaml` est un lien vers `/tmp/diagdoc/ailleurs.yaml`.",
        message="`data/actions/e02-test.yaml: erreur F003: lien symbolique qui pointe hors du dossier de données : fichier non lu`",
    ),
    Entry(
        "F004",
        "Fichier trop volumineux",
        Severity.ERROR,
        "Le fichier dépasse 1 000 ko (un million d'octets). Une fiche fait quelques ko : c'est presque toujours un mauvais fichier.",
        "Vérifiez qu'il s'agit du bon fichier (pas un export, une image, une archive…). Le fichier n'est pas lu du tout : la limite protège aussi les parties `.md` du rapport.",
        example="`data/actions/e02-test.yaml` de 3 Mo (une ligne de commentaire de trois millions de caractères).",
        message="`data/actions/e02-test.yaml: erreur F004: fichier trop volumineux (3000 ko, maximum 1000 ko)`",
    ),
    Entry(
        "F005",
        "Fichier illisible",
        Severity.ERROR,
        "Le fichier ne peut pas être lu : droits d'accès insuffisants, lien symbolique cassé ou qui tourne en boucle, ou ce n'est pas un fichier ordinaire (un dossier qui porte un nom de partie `.md` dans `data/rapports/<année>/`, un tube, un périphérique : ils ne sont jamais ouverts). La raison suit les deux-points.",
        "Selon la raison : `fichier absent, ou lien symbolique cassé` = le fichier visé n'existe pas ; `lien symbolique qui tourne en boucle` = deux liens qui renvoient l'un à l'autre ; `droits de lecture insuffisants` ; `ce n'est pas un fichier ordinaire` = par exemple un dossier `01-x.md` dans `data/rapports/2016/`. Remplacez-le par un vrai fichier lisible, ou supprimez-le.",
        example="`data/actions/e02-test.yaml` est un lien vers `absent.yaml`, qui n'existe pas.",
        message="`data/actions/e02-test.yaml: erreur F005: fichier illisible : fichier absent, ou lien symbolique cassé`",
    ),
    Entry(
        "F006",
        "Trop de problèmes dans un même fichier",
        Severity.ERROR,
        "Un même fichier a plus de 100 problèmes : seuls les 100 premiers (dans l'ordre des lignes) sont affichés, suivis de ce message qui compte les autres. Le fichier est à reprendre dans son ensemble, et le journal de l'intégration continue reste lisible. Le décompte de la dernière ligne ne compte que les messages affichés. C'est un avertissement, et non une erreur, si les problèmes non affichés ne sont que des avertissements.",
        "Corrigez les problèmes affichés (souvent une même faute répétée), puis relancez `bilan validate` pour voir les suivants.",
        example="Après la ligne 7, ajouter `objectifs:` suivi de 120 lignes `  - on` (chacune lue comme un booléen : 120 erreurs `S003`).",
        message="`data/actions/e01-test.yaml: erreur F006: 20 autres problèmes dans ce fichier ne sont pas affichés`",
    ),
    Entry(
        "F007",
        "Copie de sauvegarde ou reste de fusion dans les données",
        Severity.WARNING,
        "Une copie d'une fiche ou d'un bilan, faite à la main ou laissée par un outil de fusion (`.orig`, `.rej`, `.bak`, `.old`, `_LOCAL_1234.yaml`, `_BACKUP_1234.yaml`…), se trouve dans `data/actions/` ou dans `data/rapports/<année>/bilans/`. Elle n'est pas lue : le fichier lui-même l'est. Ce n'est qu'un avertissement (`bilan validate` réussit), sauf avec `--strict`. Les fichiers que les éditeurs et les systèmes laissent seuls (`fiche.yaml~`, `#fiche.yaml#`, `.#fiche.yaml`, `.fiche.yaml.swp`, `4913`, `.DS_Store`, `Thumbs.db`, `desktop.ini`) sont ignorés sans message, dans `data/actions/` comme dans `data/rapports/<année>/` et son dossier `bilans/`.",
        "Une fois la fusion terminée (ou la copie devenue inutile), supprimez la copie. Pour garder un brouillon, rangez-le hors du dossier de données.",
        example="Ajouter une copie `data/actions/e01-test.yaml.orig` de la fiche, laissée par `git mergetool`.",
        message="`data/actions/e01-test.yaml.orig: avertissement F007: fichier ignoré : copie de sauvegarde ou reste d'une fusion`",
    ),
    Entry(
        "Y001",
        "Erreur de syntaxe YAML",
        Severity.ERROR,
        "Erreur de syntaxe YAML : le fichier ne se lit pas. Le message précise la cause : `« : » inattendu ici`, `« , » ou « ] » attendu (crochet non fermé ?)`, `clé attendue (indentation incohérente ?)`, une clé lue comme un booléen…",
        "Un texte qui contient `: ` doit être mis entre guillemets : `titre: \"Objectif : mutualiser\"`. Pour un crochet ou un guillemet non fermé, le problème est souvent signalé au début de la ligne **suivante** : regardez aussi la ligne d'avant. Pour une indentation, alignez les champs d'un même niveau sur la même colonne.",
        example="Ligne 2 : `titre: Objectif : mutualiser`",
        message="`data/actions/e01-test.yaml:2:17: erreur Y001: syntaxe YAML : « : » inattendu ici`",
    ),
    Entry(
        "Y002",
        "Clé en double",
        Severity.ERROR,
        "La même clé apparaît deux fois dans le même bloc. YAML ne garderait que la dernière valeur : la première serait perdue sans prévenir.",
        "Gardez une seule fois la clé, avec la bonne valeur (le message donne la ligne de la première).",
        example="Dans `data/rapports/2016/bilans/e01-test.yaml`, ajouter après la ligne 2 :<br>`etat: terminee`",
        message="`data/rapports/2016/bilans/e01-test.yaml:3:1: erreur Y002: clé « etat » en double (déjà présente ligne 2)`",
    ),
    Entry(
        "Y003",
        "Étiquette YAML (!!…) non autorisée",
        Severity.ERROR,
        "Étiquette YAML (un mot commençant par `!` ou `!!` devant une valeur) : les fiches n'en ont pas besoin et elles ne sont pas acceptées.",
        'Retirez le mot commençant par `!`. Si le texte doit réellement commencer par `!`, mettez-le entre guillemets : `titre: "!important Fiche de test"`.',
        example="Ligne 2 : `titre: !important Fiche de test`",
        message="`data/actions/e01-test.yaml:2:8: erreur Y003: étiquette YAML « !important » non autorisée`",
    ),
    Entry(
        "Y004",
        "Alias YAML (*nom) non autorisé",
        Severity.ERROR,
        "Alias YAML (`*nom`), qui recopie une valeur marquée ailleurs par une ancre (`&nom`). Non autorisé. C'est l'alias qui est signalé ; une ancre `&` seule, sans alias, passe inaperçue.",
        "Écrivez la valeur en toutes lettres à la place de `*t`, et retirez l'ancre `&t`. Si le texte commence par `*` ou `&`, mettez-le entre guillemets.",
        example="Ligne 2 : `titre: &t Fiche de test`<br>ligne 6 : `    titre: *t`",
        message="`data/actions/e01-test.yaml:6:12: erreur Y004: alias YAML « *t » non autorisé`",
    ),
    Entry(
        "Y005",
        "Encodage invalide (le fichier doit être en UTF-8)",
        Severity.ERROR,
        "Le fichier n'est pas enregistré en UTF-8 (souvent : enregistré en « Windows-1252 » ou « ISO-8859-1 » par un vieil éditeur). Le message donne l'octet fautif, en général une lettre accentuée.",
        "Dans l'éditeur, « Enregistrer sous » ou « Enregistrer avec l'encodage » → **UTF-8**, puis vérifiez que les accents sont restés corrects.",
        example="Ligne 2 : `titre: Fiche été`, fichier enregistré en ISO-8859-1.",
        message="`data/actions/e01-test.yaml:2:14: erreur Y005: octet invalide en UTF-8 (0xE9)`",
    ),
    Entry(
        "Y006",
        "Imbrication trop profonde",
        Severity.ERROR,
        "Plus de 40 niveaux d'imbrication (listes dans des listes…). Une fiche n'en a que quelques-uns.",
        "Vérifiez les crochets `[` `]`, les accolades `{` `}` et l'indentation autour de la position indiquée.",
        example="Après la ligne 7 : `objectifs: [[[[…]]]]` (41 crochets ouvrants, puis 41 fermants)",
        message="`data/actions/e01-test.yaml:8:51: erreur Y006: imbrication trop profonde (plus de 40 niveaux)`",
    ),
    Entry(
        "Y007",
        "Fichier vide",
        Severity.ERROR,
        "Le fichier est vide (ou ne contient que des commentaires `#`).",
        "Remplissez la fiche, en partant d'une fiche existante ou du modèle de [format-fiche.md](format-fiche.md), ou supprimez le fichier. Le conseil affiché propose aussi `bilan new …`, qui écrit une fiche vide mais valide, commentée champ par champ.",
        example="`data/actions/e01-test.yaml` vide.",
        message="`data/actions/e01-test.yaml:1:1: erreur Y007: le fichier est vide`",
    ),
    Entry(
        "Y008",
        "Le document n'est pas un dictionnaire de champs",
        Severity.ERROR,
        "Le fichier se lit, mais ce n'est pas une suite de champs `clé: valeur` : c'est une liste (ligne commençant par `- `), un texte seul, un nombre…",
        "Le fichier doit commencer par `id: …` en début de ligne, sans tiret ni espace devant ; les champs de premier niveau (`id`, `titre`, `actions`, `bilans`…) commencent tous en colonne 1.",
        example="Toute la fiche précédée de `- ` (première ligne : `- id: e01-test`), le reste décalé de deux espaces.",
        message="`data/actions/e01-test.yaml:1:1: erreur Y008: le document est une liste, alors qu'il doit être une suite de champs « clé: valeur »`",
    ),
    Entry(
        "Y009",
        "Tabulation dans l'indentation",
        Severity.ERROR,
        "Une tabulation sert à indenter une ligne. YAML n'accepte que des espaces.",
        "Remplacez la tabulation par des espaces (ici quatre). Réglez si possible l'éditeur pour qu'il insère des espaces.",
        example="Dans `data/rapports/2016/bilans/e01-test.yaml`, ligne 4 : une tabulation au lieu des deux espaces devant `debut: 2015-T4`",
        message="`data/rapports/2016/bilans/e01-test.yaml:4:1: erreur Y009: tabulation dans l'indentation`",
    ),
    Entry(
        "Y010",
        "Caractère de contrôle invisible",
        Severity.ERROR,
        "Un caractère invisible (souvent venu d'un copier-coller depuis un traitement de texte ou un PDF) se trouve dans le fichier : caractère de contrôle, espace de largeur nulle (U+200B), marque de sens d'écriture (U+200E, U+202E…, qui peut faire lire un texte autrement qu'il n'est écrit), BOM (U+FEFF) ailleurs qu'en tête de fichier. C'est aussi le cas d'un tel caractère écrit sous forme d'échappement entre guillemets (`\"\\u202e\"`, `\"\\x1b\"`, `\"\\0\"`). Le message donne son numéro Unicode. Ces caractères ne sont jamais recopiés tels quels dans les messages (ils y sont remplacés par `�`).",
        "Effacez les caractères autour de la colonne indiquée et retapez-les au clavier ; pour un échappement, supprimez la séquence `\\…`.",
        example="Ligne 2 : `titre: Fiche de test`, avec une « tabulation verticale » (U+000B) invisible à la place de l'espace entre `Fiche` et `de`.",
        message="`data/actions/e01-test.yaml:2:13: erreur Y010: caractère de contrôle invisible U+000B` (pour un échappement : `… U+202E (écrit sous forme d'échappement « \\ »)`)",
    ),
    Entry(
        "Y011",
        "Plusieurs documents dans un même fichier",
        Severity.ERROR,
        "Le fichier contient plusieurs documents YAML, séparés par une ligne `---`. Une fiche est un seul document.",
        "Supprimez la ligne `---` en trop. S'il y avait deux fiches dans le fichier, faites-en deux fichiers.",
        example="Ajouter à la fin de la fiche :<br>`---`<br>`id: autre`",
        message="`data/actions/e01-test.yaml:14:1: erreur Y011: le fichier contient plusieurs documents YAML (séparés par « --- »)`",
    ),
    Entry(
        "Y012",
        "Marques de conflit de fusion git laissées dans le fichier",
        Severity.ERROR,
        "Des marques de conflit de fusion git (`<<<<<<< HEAD`, `=======`, `>>>>>>> branche`) sont restées dans le fichier : deux versions du même passage s'y trouvent l'une après l'autre. Vaut pour les fiches, les bilans et les parties `.md` du rapport.",
        "Choisissez la bonne version (le conseil donne les lignes de chacune), supprimez l'autre et les trois lignes de marques, puis relancez `bilan validate`.",
        example="Dans `data/rapports/2016/bilans/e01-test.yaml`, lignes 2 à 6 : `<<<<<<< HEAD`, `etat: en-cours`, `=======`, `etat: terminee`, `>>>>>>> autre-branche`",
        message="`data/rapports/2016/bilans/e01-test.yaml:2:1: erreur Y012: marques de conflit de fusion git laissées dans le fichier (lignes 2 à 6)`",
    ),
    Entry(
        "S001",
        "Champ inconnu",
        Severity.ERROR,
        "Champ inconnu : ce nom de champ n'existe pas à cet endroit (faute de frappe, accent, pluriel oublié, mauvaise indentation).",
        "Corrigez le nom : le conseil propose le nom le plus proche (`vouliez-vous dire « objectifs » ?`) ou la liste des champs possibles à cet endroit. Si le nom est juste, vérifiez l'indentation : le champ est peut-être rattaché au mauvais bloc.",
        example="Ajouter après la ligne 2 :<br>`objectif:`<br>`  - Un objectif`",
        message="`data/actions/e01-test.yaml:3:1: erreur S001: champ inconnu « objectif »`",
    ),
    Entry(
        "S002",
        "Champ obligatoire manquant",
        Severity.ERROR,
        "Champ obligatoire manquant. La position indiquée est le début du bloc qui devrait le contenir.",
        "Ajoutez le champ dans le bloc indiqué (ici l'action qui commence ligne 4) ; le conseil décrit ce qu'il doit contenir.",
        example="Supprimer la ligne 6 (`    titre: Action de test`)",
        message="`data/actions/e01-test.yaml:4:5: erreur S002: champ obligatoire « titre » manquant`",
    ),
    Entry(
        "S003",
        "Type de valeur incorrect",
        Severity.ERROR,
        "La valeur n'est pas du bon type : un texte attendu et YAML a lu une date, un nombre ou un booléen ; un nombre attendu et c'est un texte ; une liste attendue…",
        'Donnez une valeur du type attendu (ici un trimestre : `debut: 2015-T4`). Un texte que YAML prend pour autre chose se met entre guillemets : `"2015-10-01"`, `"34172"`. Les mots anglais `on`, `off`, `yes`, `no`, `true`, `false` sont lus comme des booléens (vrai/faux) : mettez-les entre guillemets. Dans ce cas le conseil propose `"oui"` ou `"non"` : mettez plutôt entre guillemets votre propre texte (`"on"`).',
        example="Dans `data/rapports/2016/bilans/e01-test.yaml`, ligne 4 : `  debut: 2015-10-01`",
        message="`data/rapports/2016/bilans/e01-test.yaml:4:10: erreur S003: « debut » doit être un texte, pas lu comme une date (2015-10-01)`",
    ),
    Entry(
        "S004",
        "Valeur non autorisée",
        Severity.ERROR,
        "Valeur non autorisée : le champ n'accepte qu'une liste fermée de valeurs (thèmes, état, type, catégorie, phase…).",
        "Choisissez une des valeurs possibles, écrite exactement (minuscules, sans accents, avec les tirets). Pour une phase de calendrier (`phases: [1, 2, 5]` donne `valeur invalide pour « phases » : le nombre 5`), utilisez 1 à 4, `[3, 4]` ou `null`.",
        example="Ligne 7 : `    themes: [fonction-ressources]`",
        message="`data/actions/e01-test.yaml:7:14: erreur S004: valeur « fonction-ressources » non autorisée pour « themes » ; valeurs possibles : fonctions-ressources, services-a-la-population, amenagement-developpement-durable, interventions-techniques`",
    ),
    Entry(
        "S005",
        "Valeur hors des limites",
        Severity.ERROR,
        "Valeur hors des limites : nombre trop petit ou trop grand, texte vide, liste vide ou trop longue.",
        "Donnez une valeur dans les limites indiquées. Autres messages possibles : `« titre » ne peut pas être vide`, `« actions » doit contenir au moins 1 élément(s)`.",
        example="Ligne 5 : `    numero: 0`",
        message="`data/actions/e01-test.yaml:5:13: erreur S005: « numero » vaut 0, alors qu'il doit valoir au moins 1`",
    ),
    Entry(
        "S006",
        "Forme incorrecte",
        Severity.ERROR,
        "La valeur n'a pas la forme attendue : trimestre (`AAAA-Tn`), identifiant (minuscules, chiffres, tirets), code INSEE (cinq caractères).",
        'Suivez la forme donnée par le conseil : `2015-T4` pour un trimestre, `p11-salles-de-spectacle` pour un identifiant, `"34172"` (entre guillemets) pour un code INSEE.',
        example="Dans `data/rapports/2016/bilans/e01-test.yaml`, ligne 4 : `  debut: 2015-Q4`",
        message="`data/rapports/2016/bilans/e01-test.yaml:4:10: erreur S006: « 2015-Q4 » n'a pas la forme attendue pour « debut »`",
    ),
    Entry(
        "S007",
        "Incohérence entre champs d'un même bloc",
        Severity.ERROR,
        "Deux champs d'un même bloc ne vont pas ensemble : calendrier avec à la fois `phases` et `lignes` (ou aucun des deux), bilan avec `sans_fiche` et un contenu, bilan sans `calendrier` ni `sans_fiche`, `annee` de `rapport.yaml` différente du nom de son dossier. La position est le début du bloc.",
        "Suivez le message : gardez `phases` (une seule ligne de calendrier) ou `lignes` (une par résultat attendu) ; avec `sans_fiche`, retirez le calendrier, les indicateurs et le reste (ou retirez `sans_fiche`) ; sans `sans_fiche`, ajoutez le `calendrier`. Autres messages : `« sans_fiche » exclut le calendrier, les indicateurs et le reste`, `indiquez le « calendrier », ou « sans_fiche » avec le motif`, `« annee » vaut 2017 dans le dossier 2016`.",
        example="Dans `data/rapports/2016/bilans/e01-test.yaml`, ligne 5 : `  phases: [1]`, puis ajouter :<br>`  lignes:`<br>`    - {resultat: 1, phases: [1]}`",
        message="`data/rapports/2016/bilans/e01-test.yaml:4:3: erreur S007: indiquez soit « phases », soit « lignes », pas les deux`",
    ),
    Entry(
        "N001",
        "Rapport de l'année sans rapport.yaml",
        Severity.ERROR,
        "Un dossier `data/rapports/<année>/` n'a pas de fichier `rapport.yaml` : la page de titre et les réglages du rapport de cette année manquent, il ne peut pas être construit.",
        "Copiez le `rapport.yaml` d'une autre année dans ce dossier et mettez à jour `annee`, le titre et la date ; `bilan new-year` prépare une année entière.",
        example="Supprimer `data/rapports/2016/rapport.yaml`.",
        message="`data/rapports/2016/rapport.yaml: erreur N001: le dossier du rapport 2016 n'a pas de rapport.yaml`",
    ),
    Entry(
        "N002",
        "En-tête (front matter) du texte absent ou non fermé",
        Severity.ERROR,
        "Une partie du rapport ne commence pas par un en-tête entre deux lignes `---` (ou la seconde ligne `---` manque). Si l'en-tête est là mais que son contenu est faux, ce sont les codes `Y` et `S` qui s'affichent, pour le fichier `.md`.",
        "Mettez en tout début de fichier : une ligne `---`, `titre: …`, `ordre: N`, puis une ligne `---` ; le texte vient ensuite. Copiez l'en-tête d'une autre partie. Si seule la seconde ligne `---` manque, le message le dit (`l'en-tête ouvert par « --- » ligne 1 n'est pas fermé`), à la ligne où elle manque.",
        example="`00-edito.md` commence par `Titre: Édito`, sans lignes `---`.",
        message="`data/rapports/2016/00-edito.md:1:1: erreur N002: le texte doit commencer par un en-tête entre deux lignes « --- »`",
    ),
    Entry(
        "N003",
        "Référence inconnue dans le texte",
        Severity.ERROR,
        "Une référence `{{ … }}` désigne une valeur qui n'existe pas (faute de frappe, mauvais nom).",
        "Corrigez le nom de la référence (ici `chiffres.communes.total`) en vous inspirant des références déjà utilisées dans les autres parties. `bilan stats --year 2016 --format json`, que propose le conseil affiché, donne toutes les valeurs calculées, sous leur nom. Pour une référence placée dans le `titre:` de l'en-tête, la ligne et la colonne indiquées peuvent être fausses : cherchez la référence dans le titre.",
        example="Ligne 6 : `L'établissement et ses {{ chiffres.commune.total }} communes.`",
        message="`data/rapports/2016/00-edito.md:6:27: erreur N003: référence inconnue « chiffres.commune.total »`",
    ),
    Entry(
        "N004",
        "Erreur de syntaxe dans une référence",
        Severity.ERROR,
        "Une référence est mal écrite : accolades mal fermées, caractère inattendu (le détail, entre parenthèses, est en anglais) ; ou bien ce n'est pas une simple référence : calcul (`{{ chiffres.communes.total * 2 }}`), filtre (`|`), appel de fonction, texte entre guillemets, instruction `{% … %}`. Le texte du rapport ne fait que nommer des valeurs calculées par l'outil : rien n'y est calculé, et rien d'autre n'y est exécuté. La colonne indiquée est celle des premières accolades de la ligne.",
        "Une référence s'écrit entre deux accolades ouvrantes et deux accolades fermantes : `{{ chiffres.communes.total }}`. Cherchez sur la ligne indiquée l'accolade en trop ou en moins. Si un chiffre manque parmi les valeurs calculées, demandez qu'il soit ajouté à l'outil plutôt que de le calculer dans le texte.",
        example="Ligne 6 : `L'établissement et ses {{ chiffres.communes.total } communes.`",
        message="`data/rapports/2016/00-edito.md:6:24: erreur N004: référence mal écrite (unexpected '}')` ; pour un calcul : `… N004: seules des références aux chiffres sont permises, pas un calcul ou une expression`",
    ),
    Entry(
        "N006",
        "Texte à compléter dans le rapport de l'année",
        Severity.WARNING,
        "Une ligne d'une partie du rapport (ou de `rapport.yaml`) dit encore « À compléter » : `bilan new-year` a copié le texte de l'année précédente avec cette mention, pour qu'il soit réécrit avant publication.",
        "Réécrivez la partie pour l'année (ou donnez la date de `publication`), puis supprimez la mention « À compléter ».",
        example="Ligne 6 de `00-edito.md` : `*À compléter : ce texte est celui du bilan 2016.*`",
        message="`data/rapports/2016/00-edito.md:6:2: avertissement N006: texte à compléter : « À compléter » est encore là`",
    ),
    Entry(
        "P001",
        "Modification d'une édition publiée",
        Severity.ERROR,
        "Un fichier du dossier d'une année dont l'édition est publiée (`bilan publish` a écrit son `publication.json`) a changé depuis : ce changement modifierait le rapport publié. Le message dit quel champ (ou quelle ligne du texte) diffère de l'édition publiée, et la position est celle de ce champ. Un fichier ajouté ou supprimé dans ce dossier est signalé de même. Un changement de mise en page ou de commentaires seul ne change aucune donnée, et passe.",
        "Annulez le changement (`git checkout` du fichier). Si c'est une correction voulue de l'édition publiée (une erreur à rectifier), déclarez-la dans `data/rapports/<année>/errata.yaml` : `errata: [{date: 2017-03-02, fichier: bilans/e05-groupements-achats.yaml, texte: …}]` ; l'édition affichera l'erratum, daté. Une modification pour l'année suivante va dans le dossier de l'année suivante (`bilan new-year`).",
        example="Après `bilan publish --year 2016`, ligne 5 de `bilans/e01-test.yaml` : `  phases: [1, 2, 3, 3]`.",
        message="`data/rapports/2016/bilans/e01-test.yaml:5:22: erreur P001: « calendrier.phases.4 » a changé depuis l'édition 2016 publiée (scellée le 2017-01-15)`",
    ),
    Entry(
        "P002",
        "Publication d'une édition illisible",
        Severity.ERROR,
        "Le fichier `publication.json` d'une année, écrit par `bilan publish`, ne se lit pas (modifié à la main, tronqué, conflit de fusion) ou ne correspond pas à son année.",
        "Reprenez-le tel que `bilan publish` l'a écrit : `git checkout data/rapports/<année>/publication.json`. Ne le modifiez jamais à la main.",
        example="Remplacer le contenu de `data/rapports/2016/publication.json` par `{`.",
        message="`data/rapports/2016/publication.json:1:1: erreur P002: publication de l'édition 2016 illisible (contenu illisible)`",
    ),
    Entry(
        "P003",
        "Erratum impossible",
        Severity.ERROR,
        "Un fichier `errata.yaml` est dans le dossier d'une année qui n'est pas publiée (les errata sont pour les éditions déjà publiées), ou un erratum nomme un fichier que l'édition publiée n'a pas.",
        "Avant la publication, corrigez directement les fichiers de l'année et supprimez `errata.yaml`. Pour une édition publiée, nommez le fichier corrigé relativement au dossier de l'année : `bilans/e05-groupements-achats.yaml`, `03-bilan-avancement.md`.",
        example="Ajouter `data/rapports/2016/errata.yaml` sans avoir publié 2016.",
        message="`data/rapports/2016/errata.yaml:1:1: erreur P003: errata d'une édition non publiée : l'édition 2016 n'a pas de publication.json`",
    ),
)
"""The codes of the files' loader; their examples were run on :data:`BASE`."""


@dataclass(frozen=True)
class Slip:
    """An editing mistake of a writer who is not a developer, among those issue 16 tried:
    what it is, what ``bilan validate`` answered then, and the changes to :data:`BASE`
    that make it (blocks in the syntax of a rule's example, one per variant).
    docs/diagnostics.md shows what the tool answers today, run on those changes."""

    id: str
    mistake: str
    """The mistake, in French (Markdown)."""
    before: str
    """What the tool said when issue 16 tried it, in French (Markdown)."""
    changes: tuple[str, ...]
    score: int
    """How the answer of today scores: 0 = misleading, 1 = right place but no useful
    advice, 2 = a non-developer can fix it alone."""

    @property
    def examples(self) -> list[Example]:
        return [_example(block) for block in self.changes]

    def edits(self) -> list[list[tuple[str, int, str]]]:
        """Each variant's lines as written: (file, line number, text)."""
        variants = []
        for block in self.changes:
            lines, path = [], ""
            for line in block.splitlines():
                named, edit = _FILE.match(line), _EDIT.match(line)
                if named:
                    path = named.group(1)
                elif edit:
                    lines.append((path, int(edit.group(2)), edit.group(3)))
            variants.append(lines)
        return variants


_BILAN = "# data/rapports/2016/bilans/e01-test.yaml\n"

SLIPS: tuple[Slip, ...] = (
    Slip(
        "deux-points-dans-un-element",
        "Un « : » à la française dans un élément de liste",
        "`S003 « points_forts » doit être un texte, pas une suite de champs`, avec la description du champ en conseil",
        (_BILAN + "+6: points_forts:\n+7:   - Délais : trop longs",),
        2,
    ),
    Slip(
        "espace-insecable-apres-une-cle",
        "Une espace insécable (copiée de Word) entre une clé et « : »",
        "une erreur plusieurs lignes plus bas, avec le conseil de mettre un « : » entre guillemets",
        (_BILAN + "+6: points_forts\u00a0:\n+7:   - Un point fort",),
        2,
    ),
    Slip(
        "tiret-manquant",
        "Le « - » oublié devant un élément de liste",
        "une erreur sur la clé **suivante**, avec le conseil de mettre un « : » entre guillemets",
        (_BILAN + "+6: points_forts:\n+7:   - Un point fort\n+8:   Un autre point fort",),
        2,
    ),
    Slip(
        "apostrophe-entre-apostrophes",
        "Une apostrophe dans un texte entre apostrophes",
        "« tiret « - » de liste attendu », avec un conseil sur l'indentation",
        (_BILAN + "+6: difficultes:\n+7:   - 'celui de l'énergie'",),
        2,
    ),
    Slip(
        "cle-pas-assez-indentee",
        "Une clé indentée de deux espaces de moins que ses voisines",
        "l'erreur désigne la clé suivante",
        (_BILAN + "5: phases: [1, 2, 3, 4]",),
        2,
    ),
    Slip(
        "bloc-colle-en-colonne-1",
        "Un bloc collé en colonne 1, sous la clé qui l'ouvre",
        "`S003 … une suite de champs (Keys should be strings)` : de l'anglais, sans conseil",
        (
            _BILAN
            + "+6: perspectives:\n+7: resultats_a_venir:\n+8:   - Un résultat\n"
            + "+9: axes_amelioration:\n+10:   - Un axe",
        ),
        2,
    ),
    Slip(
        "bloc-colle-trop-profond",
        "Un bloc collé deux espaces trop à droite",
        "`S003 … une suite de champs (Keys should be strings)` : de l'anglais, sans conseil",
        (
            _BILAN + "+6:   perspectives:\n+7:     resultats_a_venir:\n+8:       - Un résultat",
            _BILAN
            + "+6: difficultes:\n+7:   - Une difficulté\n+8:   perspectives:\n"
            + "+9:     resultats_a_venir:\n+10:       - Un résultat",
        ),
        2,
    ),
    Slip(
        "nombre-a-la-francaise",
        "Un nombre écrit à la française : virgule décimale, espaces entre les milliers",
        "le conseil répète la description du champ, sans dire « écrivez 6.5 » ni de retirer les espaces",
        (
            _BILAN + "+6: indicateurs:\n+7:   - libelle: Surface\n+8:     valeur: 6,5",
            _BILAN + "+6: indicateurs:\n+7:   - libelle: Budget\n+8:     valeur: 24 500 000",
        ),
        2,
    ),
    Slip(
        "noms-de-communes",
        "Les noms des communes au lieu de leurs identifiants",
        "un exemple générique (« castelnau-le-lez ») pour chacune ; la vraie suggestion au second passage seulement",
        (_BILAN + "+6: communes: [Le Cres, Beta]",),
        2,
    ),
    Slip(
        "phases-en-toutes-lettres",
        "Les phases du calendrier écrites en toutes lettres",
        "six erreurs, aucune ne disant que « diagnostic » est la phase 1",
        (_BILAN + "5:   phases: [diagnostic, plan d'action]",),
        2,
    ),
    Slip(
        "reference-mal-orthographiee",
        "Une faute de frappe dans une référence du texte du rapport",
        "ni le nom le plus proche, ni la ligne du texte",
        (
            "# data/rapports/2016/00-edito.md\n"
            "6: L'établissement et ses {{ chiffres.action.existantes }} actions existantes.",
        ),
        2,
    ),
    Slip(
        "marques-de-conflit",
        "Des marques de conflit de fusion git laissées dans le fichier",
        "« un texte qui contient « : » doit être entre guillemets »",
        (
            _BILAN
            + "2: <<<<<<< HEAD\n+3: etat: en-cours\n+4: =======\n+5: etat: terminee\n"
            + "+6: >>>>>>> autre-branche",
        ),
        2,
    ),
)
"""The twelve mistakes of issue 16, as docs/diagnostics.md scores them."""


def _paragraphs(text: str) -> str:
    """Wrapped docstring lines joined, paragraphs kept."""
    return "\n\n".join(" ".join(part.split()) for part in text.strip().split("\n\n"))


def _example(block: str) -> Example:
    """The files of an example block, each :data:`BASE`'s (or the one it copies) changed."""
    files: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in textwrap.dedent(block).strip("\n").splitlines():
        named, edit = _FILE.match(line), _EDIT.match(line)
        if named:
            path, origin = named.group(1), named.group(2) or named.group(1)
            lines = files[path] = BASE.get(origin, "").splitlines()
        elif edit and lines is not None and 0 < int(edit.group(2)) <= len(lines) + 1:
            insert, number, text = edit.groups()
            index = int(number) - 1
            lines[index : index + (0 if insert else 1)] = [text]
        else:
            raise ValueError(f"ligne d'exemple incomprise : {line!r}")
    if not files:
        raise ValueError(f"exemple sans fichier (« # data/… ») : {block!r}")
    return Example({path: "\n".join(text) + "\n" for path, text in files.items()})


def rule_entry(rule: rules.Rule[Callable[..., Iterator[Any]]]) -> Entry:
    """A rule as the catalogue shows it, from its declaration and its docstring."""
    doc = inspect.getdoc(rule.check) or ""
    try:
        head, rest = doc.split("\nCorriger : ", 1)
        fix, rest = rest.split("\nÉchoue :\n", 1)
        failing, passing = rest.split("\nPasse :\n", 1)
        return Entry(
            rule.code,
            rule.title,
            rule.severity,
            _paragraphs(head),
            _paragraphs(fix),
            failing=_example(failing),
            passing=_example(passing),
        )
    except ValueError as error:
        raise ValueError(
            f"{rule.code} : la docstring doit avoir « Corriger : », « Échoue : » et « Passe : », "
            f"suivis d'exemples lisibles ({error})"
        ) from None


def _catalogue(entries: Iterable[Entry]) -> dict[str, Entry]:
    catalogue: dict[str, Entry] = {}
    for entry in entries:
        if entry.code in catalogue:
            raise ValueError(f"code {entry.code} déclaré deux fois")
        catalogue[entry.code] = entry
    return dict(sorted(catalogue.items(), key=lambda item: ("FYSRNP".index(item[0][0]), item[0])))


CATALOGUE: dict[str, Entry] = _catalogue(
    [
        *LOADER_CODES,
        *(rule_entry(rule) for rule in rules.FICHE_RULES),
        *(rule_entry(rule) for rule in rules.BILAN_RULES),
        *(rule_entry(rule) for rule in rules.DATASET_RULES),
    ]
)
"""Every code, in the order of the documentation (F, Y, S, R, N, then by number)."""
