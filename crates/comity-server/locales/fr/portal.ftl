# Le portail de comity, en français. Chaque texte d'une page est ici ; l'anglais est dans
# ../en. Un test vérifie que les deux fichiers ont exactement les mêmes messages.

## Cadre
skip-to-content = Aller au contenu principal
nav-account = Votre compte
nav-language = Langue
nav-pages = Pages
sign-in = Se connecter
sign-out = Se déconnecter
footer-about = comity : les demandes de données d'un État à l'étranger, tranchées par une autorité indépendante et consignées dans un journal public que chacun peut vérifier.
footer-checkpoint = Le dernier point de contrôle du journal
footer-api = La description de l'API (OpenAPI)
back-home = Retour à votre page d'accueil
yes = Oui
no = Non
emergency = Urgence
overdue = En retard
no-deadline = Aucun délai ne court
minutes-left = { $minutes } minutes

## Rôles
role-admin = opérateur
role-requester = greffe de l'autorité
role-handler = service juridique du fournisseur
role-reviewer = autorité de contrôle
role-representative = représentant de la personne concernée
role-auditor = auditeur

## Erreurs
error-summary-title = Il y a un problème
error-prefix = Erreur :
error-title = Cette action n'a pas pu être faite
error-internal = Une erreur s'est produite de notre côté. Elle est enregistrée sous le numéro d'incident { $incident } ; réessayez, et donnez ce numéro à votre opérateur si elle se reproduit.
error-locked = Trop d'échecs de connexion pour ce nom depuis votre réseau. Attendez { $seconds } secondes, puis réessayez.
error-forbidden = Votre rôle ne permet pas cette action sur cette demande.
error-illegal-transition = La demande ne peut pas franchir cette étape depuis son état actuel. Rechargez la page pour voir où elle en est.
error-rate-limited = Trop de requêtes depuis votre réseau. Attendez une minute, puis réessayez.
error-invalid-credentials = Le nom d'utilisateur, le mot de passe ou le code est faux. Vérifiez les trois : le code change toutes les 30 secondes et ne sert qu'une fois.
error-enrolment-expired = Cette configuration a pris fin : elle dure 10 minutes et s'achève dès qu'un code a servi. Connectez-vous de nouveau avec votre nom d'utilisateur et votre mot de passe.
not-found-title = Page introuvable
not-found-body = Il n'y a rien ici que vous puissiez ouvrir. Si vous avez saisi l'adresse, vérifiez-la ; si vous avez suivi un lien, la demande n'existe peut-être pas ou votre organisation ne peut pas la voir.
sign-in-first-title = Connectez-vous pour voir cette page
sign-in-first-body = Cette page est réservée aux personnes connectées. Connectez-vous, puis ouvrez-la de nouveau.
form-expired-title = Ce formulaire a expiré
form-expired-body = Pour votre sécurité, comity n'accepte qu'un formulaire envoyé depuis sa propre page, dans le même navigateur. Revenez en arrière, rechargez la page et envoyez de nouveau le formulaire.
form-unreadable-title = Ce formulaire n'a pas pu être lu
form-unreadable-body = Le formulaire reçu n'est pas de ceux que les pages de comity envoient. Revenez en arrière, rechargez la page et réessayez.
too-many-failures = Trop de tentatives échouées depuis votre réseau. Attendez quelques minutes, puis réessayez.

## Connexion
sign-in-title = Se connecter
sign-in-username = Nom d'utilisateur
sign-in-password = Mot de passe
sign-in-code = Code de votre application d'authentification
sign-in-code-hint = Six chiffres. À votre première connexion, laissez ce champ vide : vous configurerez ensuite votre application.
sign-in-username-missing = Saisissez votre nom d'utilisateur
sign-in-password-missing = Saisissez votre mot de passe
sign-in-code-shape = Saisissez les six chiffres affichés par votre application, ou laissez le code vide à votre première connexion
sign-in-first-time-wrong = Le nom d'utilisateur ou le mot de passe est faux, ou ce compte a déjà une application d'authentification : saisissez alors le code qu'elle affiche.
sign-in-help-title = Vous ne pouvez pas vous connecter ?
sign-in-help = Votre opérateur a créé votre compte et vous a donné votre nom d'utilisateur et votre premier mot de passe. Il peut aussi le désactiver et en créer un nouveau si vous avez perdu votre application.
session-ended = Votre session a pris fin. Connectez-vous de nouveau pour continuer.

## Enrôlement
enrol-title = Configurez votre application d'authentification
enrol-intro = Votre mot de passe est juste. Pour protéger les demandes que vous traitez, comity demande aussi, à chaque connexion, un code d'une application d'authentification sur votre téléphone.
enrol-scan = Ouvrez votre application d'authentification (par exemple FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator) et scannez ce code.
enrol-key = Ou saisissez cette clé dans l'application :
enrol-qr-label = Code QR à scanner avec votre application d'authentification
enrol-no-qr = Le code QR n'a pas pu être dessiné ; saisissez plutôt la clé ci-dessous dans votre application.
enrol-type-code = Saisissez ensuite le code à six chiffres que l'application affiche pour comity.
enrol-finish = Terminer et se connecter
enrol-expires = Cette page fonctionne pendant { $minutes } minutes. Ensuite, connectez-vous de nouveau avec votre nom d'utilisateur et votre mot de passe.
enrol-code-wrong = Le code est faux. Saisissez les six chiffres que l'application affiche maintenant pour comity.
enrol-code-retry = Vérifiez que l'heure de votre téléphone est réglée automatiquement, puis saisissez le code affiché maintenant.

## Pages d'accueil
home-title-requester = Les demandes de votre autorité
home-intro-requester = Chaque demande envoyée par votre autorité, avec le prochain délai qui court. Ouvrez-en une pour répondre aux questions ou récupérer ce qui a été produit.
home-title-handler = Demandes reçues
home-intro-handler = Les demandes adressées à votre organisation, le délai le plus proche en premier. Ouvrez-en une pour voir son examen, son autorité de contrôle et ce que vous pouvez faire.
home-title-reviewer = Demandes qui vous sont attribuées
home-intro-reviewer = Les demandes sur lesquelles votre autorité doit statuer, le délai le plus proche en premier. Ouvrez-en une pour la lire avec son examen et les antécédents de l'autorité, et pour statuer.
home-title-auditor = Audit
home-intro-auditor = Le journal public et les chiffres de toutes les demandes. Vous ne lisez le contenu d'aucune demande ; vous vérifiez que le journal est cohérent et tirez des demandes à auditer.
home-title-admin = Opérateur
home-intro-admin = Les personnes et les systèmes qui utilisent ce comity.
home-title-representative = Représenter la personne concernée
home-intro-representative = Vous avez été enregistré pour représenter la personne concernée dans une demande, sur son mandat. La décision, ses motifs et les recours sont à GET /v1/requests/ID/decision dans l'API, par laquelle vous formez un recours ; les pages du portail pour les représentants viennent ensuite.
home-empty = Rien pour l'instant.
home-caption = { $count ->
    [one] Une demande
   *[other] { $count } demandes
}
page-previous = Page précédente
page-next = Page suivante
page-of = Page { $page } sur { $pages }
col-reference = Référence
col-state = État
col-next-deadline = Prochain délai
col-parties = De → à
col-received = Reçue
col-count = Demandes
col-user = Personne
col-org = Organisation
col-role = Rôle
col-status = Statut
col-token = Jeton
col-expires = Expire
col-deadline = Délai
col-due = Échéance
status-disabled = Désactivé
status-active = Actif
auditor-states = Demandes par état
admin-accounts = Comptes
admin-tokens = Jetons d'API
admin-cli-hint = Enregistrez les parties, les clés, les comptes et les jetons avec la commande comity sur le serveur, ou par l'API (/v1/admin).

## Public
public-title = comity
public-lead = comity est le lieu où les demandes de données personnelles d'un État ne franchissent une frontière que si elles sont licites, précises et proportionnées.
public-point-lawful = Chaque demande est signée par une autorité enregistrée et examinée au regard du droit qu'elle invoque.
public-point-review = Une autorité indépendante statue ; l'entreprise qui détient les données ne la choisit jamais.
public-point-minimum = Seules les données que la décision autorise sortent, scellées pour l'autorité qui les a demandées.
public-point-log = Chaque étape est consignée dans un journal public que chacun peut vérifier avec ses propres outils.
public-sign-in = Accéder à votre travail
log-title = Le journal public
log-size = Entrées
log-cosignatures = Cosignatures de témoins sur le dernier point de contrôle
log-key = Clé de vérification
log-checkpoint = Dernier point de contrôle
log-no-checkpoint = Aucun point de contrôle n'a encore été signé ; le premier suit la première entrée en quelques secondes.
log-verify-title = Vérifiez par vous-même
log-verify-intro = Le journal suit les spécifications C2SP des notes signées et des journaux en tuiles. Pour vérifier chaque entrée et chaque empreinte par rapport au point de contrôle, exécutez :
log-verify-sample = Pour tirer au hasard, à partir du point de contrôle, des demandes à auditer :

## Une demande
request-title = Demande { $reference }
request-summary = La demande
request-authority = Autorité
request-provider = Fournisseur
request-instrument = Instrument juridique
request-kind = Nature
request-emergency = Urgence
request-categories = Données demandées
request-targets = Comptes visés
request-period = Période
request-offence = Infraction
request-justification = Pourquoi les données sont nécessaires
request-received = Reçue
request-deadlines = Délais
clock-running = En cours
request-screening = Examen au regard du droit
screening-none = Pas encore examinée.
screening-verdict = Conclusion :
screening-pack = référentiel { $pack }, version { $version }
screening-passed = { $count ->
    [one] Une règle est respectée ou sans objet
   *[other] { $count } règles sont respectées ou sans objet
}
request-track-record = Les antécédents de l'autorité
record-requests = Demandes envoyées
record-rejected = Rejetées
record-emergencies = Urgences
record-confirmed = Urgences confirmées / mises en attente de vérification
request-history = Ce qui s'est passé, étape par étape
request-actions = Ce que vous pouvez faire
decision-grounds = Motifs de cette décision
decision-answer = Votre réponse au constat { $rule }
scope-title = Ce qui peut sortir
scope-hint = Décochez ce que la décision ne laisse pas sortir, et raccourcissez la période s'il le faut. Rien de plus large que la demande ne peut être approuvé.
scope-targets = Comptes
scope-from = Du
scope-to = Au
scope-time-hint = En UTC, sous la forme 2026-06-01T00:00:00Z.
scope-time-wrong = Écrivez chaque date en UTC, sous la forme 2026-06-01T00:00:00Z
question-title = Vos questions à l'autorité
question-hint = Chaque question dit pourquoi (les motifs de l'annexe III du règlement e-Evidence) et, si elle porte sur un champ, lequel. L'autorité répond par une demande modifiée. Laissez une question vide pour en poser moins.
question-n = Question { $n }
question-reason = Pourquoi
question-field = Sur
question-whole = La demande dans son ensemble
question-text = La question
question-field-justification = pourquoi les données sont nécessaires
question-field-offence-description = l'infraction
question-field-offence-max_sentence_months = la peine maximale
question-field-targets = les comptes visés
question-field-data_categories = les données demandées
question-field-time_window = la période
question-field-issuing-validated_by = l'autorité de validation
question-field-issuing-reference = la référence de l'autorité
question-field-nondisclosure = la confidentialité à l'égard de la personne
clarification-incomplete = Elle est incomplète
clarification-manifest_error = Elle contient une erreur manifeste
clarification-insufficient_information = Elle ne contient pas assez d'informations pour être exécutée
move-reason = Vos raisons, telles qu'elles seront consignées
move-reason-missing = Donnez vos raisons : chaque étape est consignée avec elles

## Productions
production-title = Productions
production-status-started = En cours de production
production-status-failed = Échec
production-status-sealed = Scellée, en attente de l'autorité
production-status-acknowledged = Reçue par l'autorité
production-started = Commencée
production-records = Enregistrements transmis / lus
production-retention = Conservée par l'autorité jusqu'au
production-retention-hint = Une date future (2027-06-30, jusqu'à la fin de ce jour, UTC) : l'autorité doit alors détruire les données.
production-sha256 = Empreinte SHA-256 du paquet
production-size = Taille du paquet
production-failure = Cause de l'échec
production-custody = Chaîne de traçabilité
custody-production-started = production commencée
custody-production-sealed = paquet scellé et signé
custody-production-failed = échec de la production
custody-production-downloaded = paquet téléchargé
custody-production-acknowledged = réception du paquet confirmée par l'autorité
production-download = Télécharger le paquet
production-download-hint = Chaque téléchargement est consigné dans le journal avant de commencer.
production-verify = Vérifiez le paquet et ouvrez-le avec l'identité age de votre autorité :
production-verify-hint = comity vérifie la signature du fournisseur et l'empreinte SHA-256 de chaque fichier, et n'écrit les fichiers que si tout concorde. L'outil age standard ouvre aussi le paquet (age -d -i votre-identite-age.txt).
production-ack-label = Empreinte SHA-256 du paquet reçu
production-ack-hint = L'empreinte SHA-256 du paquet telle que vous l'avez calculée (sha256sum, ou celle qu'affiche comity package verify). Elle doit être celle ci-dessus : la demande est alors remise.
production-ack = Confirmer la réception
production-ack-missing = Saisissez l'empreinte SHA-256 du paquet reçu
production-upload-title = Produire les données
production-upload-intro = Téléversez votre export (JSON Lines, un enregistrement par ligne, comme le décrit docs/export-format.md). comity ne laisse passer que ce que la décision autorise, masque les données de toute autre personne et scelle le paquet pour l'autorité.
production-national-ids = Identifiants nationaux à masquer (facultatif)
production-national-ids-hint = Noms Presidio, séparés par des virgules, comme UK_NINO,ES_NIF. US_SSN si vide ; NONE pour aucun.
production-export = Fichier d'export
production-export-hint = Un fichier .jsonl de 16 Gio au plus ; les exports plus gros sont produits sur le serveur avec comity produce.
production-export-missing = Choisissez le fichier d'export à téléverser
production-upload = Téléverser et produire
production-progress = Progression du téléversement

## Soumettre une demande
submit-title = Soumettre une demande
submit-open = Soumettre une demande
submit-intro = Remplissez la demande telle que votre autorité l'émet. comity la vérifie comme une demande signée : chaque problème est affiché à côté de son champ. Elle est consignée comme soumise par vous.
submit-law = Le droit invoqué
submit-issuing = Votre autorité
submit-addressee = Le fournisseur
submit-offence = L'infraction
submit-targets = Les données de qui
submit-targets-hint = Un compte par ligne ; laissez des lignes vides s'il vous en faut moins. Les demandes portant sur plus de comptes passent par l'API.
submit-target = Compte { $n }
submit-data = Les données et la période
submit-nondisclosure = Ne pas informer la personne pour l'instant
submit-send = Soumettre la demande
submit-choose = Choisissez…
submit-none = Aucun
submit-date-wrong = Choisissez une date, ou saisissez-la sous la forme 2026-06-01
submit-months-wrong = Écrivez le nombre de mois en chiffres, par exemple 36
field-instrument = Instrument juridique
field-kind = Ce que vous demandez
field-purpose = Finalité
field-emergency = Il y a urgence : une menace imminente pour la vie, l'intégrité physique ou une infrastructure critique
field-issuing-authority_type = Type de votre autorité
field-issuing-reference = Votre référence
field-issuing-validated_by-authority = Validée par (facultatif)
hint-issuing-validated_by-authority = L'autorité judiciaire enregistrée qui a validé la demande, lorsque le droit l'exige.
field-issuing-validated_by-authority_type = Type de l'autorité de validation
field-addressee-provider = Fournisseur
field-addressee-country = Pays de l'établissement ou du représentant légal du fournisseur
hint-addressee-country = Deux lettres, comme IE.
field-offence-description = L'infraction
field-offence-max_sentence_months = Peine privative de liberté maximale, en mois (facultatif)
field-offence-listed_category = Infraction de la liste (facultatif)
field-offence-via_information_system = Commise en tout ou partie au moyen d'un système d'information
field-offence-committed_in_issuing_state = Commise dans votre État, par une personne qui y réside
field-targets-selector-type = Type d'identifiant
field-targets-selector-value = Identifiant
field-targets-residence_country = Pays de résidence (facultatif)
field-targets-us_person = Une personne américaine ? (facultatif)
field-targets-protected_role = Une fonction protégée ? (facultatif)
field-data_categories = Données demandées
field-time_window-from = Du (premier jour)
field-time_window-to = Au (dernier jour, inclus)
field-justification = Pourquoi les données sont nécessaires
hint-justification = Les faits précis qui rendent ces données nécessaires et proportionnées pour cette enquête.
field-nondisclosure-requested = Demander que la personne ne soit pas informée pour l'instant
field-nondisclosure-until = Jusqu'au
field-nondisclosure-reason = Pourquoi la personne ne peut pas encore être informée
purpose-criminal_investigation = Enquête pénale
purpose-national_security = Sécurité nationale
purpose-emergency_life = Urgence : menace pour la vie
purpose-sentence_execution = Exécution d'une peine
authority-type-judge = Juge
authority-type-court = Juridiction
authority-type-investigating_judge = Juge d'instruction
authority-type-prosecutor = Procureur
authority-type-police = Police
authority-type-security_service = Service de sécurité
authority-type-other = Autre
listed-terrorism = Terrorisme
listed-child_sexual_abuse = Abus sexuels sur des enfants
listed-attack_information_system = Atteinte à un système d'information
listed-non_cash_payment_fraud = Fraude aux moyens de paiement autres que les espèces
protected-journalist = Journaliste
protected-lawyer = Avocat
protected-parliamentarian = Parlementaire
protected-diplomat = Diplomate
protected-clergy = Ministre du culte
protected-medical = Professionnel de santé
selector-account_id = Identifiant de compte
selector-email = Adresse électronique
selector-phone = Numéro de téléphone
selector-ip = Adresse IP
selector-device_id = Identifiant d'appareil
selector-username = Nom d'utilisateur
selector-domain = Domaine
selector-keyword = Terme de recherche (jamais recevable)
selector-geofence = Zone (jamais recevable)
selector-group = Groupe (jamais recevable)
selector-wildcard = Motif (jamais recevable)

amend-title = Répondre par une demande modifiée
amend-intro = Le fournisseur ou l'autorité de contrôle a demandé des précisions. Corrigez ou complétez la demande ci-dessous : comity garde les deux versions et ce qui a changé, et examine de nouveau la demande modifiée.
amend-questions = Ce qui vous est demandé
amend-send = Envoyer la demande modifiée
amend-open = Répondre aux questions

## Instruments, natures et données
instrument-eu-e-evidence = Règlement européen e-Evidence (2023/1543)
instrument-us-cloud-act = Accord au titre du CLOUD Act américain
instrument-coe-budapest = Convention de Budapest sur la cybercriminalité
instrument-mlat = Traité d'entraide judiciaire
kind-production = Production de données
kind-preservation = Conservation de données
category-subscriber = données relatives aux abonnés
category-identification = données d'identification de l'utilisateur
category-traffic = données relatives au trafic
category-content = contenu

## Examen
verdict-admissible = recevable
verdict-needs_review = à contrôler
verdict-needs_clarification = à préciser
verdict-inadmissible = irrecevable
finding-pass = Conforme
finding-fail = Non conforme
finding-review = À contrôler
finding-clarify = À préciser
finding-not_applicable = Sans objet

## États
state-received = Reçue
state-screening = En examen
state-pending_verification = Urgence en attente de vérification
state-under_review = En contrôle
state-clarification_requested = Précisions demandées
state-approved = Approuvée
state-partially_approved = Approuvée en partie
state-rejected = Rejetée
state-preserved = Données conservées
state-appealed = Recours en cours
state-producing = En cours de production
state-delivered = Remise
state-closed = Close
state-withdrawn = Retirée

## Étapes (bouton et titre de chacune)
move-received = Marquer comme reçue
move-screening = Examiner
move-pending_verification = Mettre en attente de vérification
move-under_review = Transmettre au contrôle
move-clarification_requested = Demander des précisions à l'autorité
move-approved = Approuver
move-partially_approved = Approuver en partie
move-rejected = Rejeter
move-preserved = Conserver les données
move-appealed = Former un recours contre cette décision
move-producing = Lancer la production
move-delivered = Marquer comme remise
move-closed = Clore
move-withdrawn = Retirer

## Délais et effet de leur échéance
clock-respond_by = Réponse attendue
clock-validation = Validation de l'urgence attendue
clock-objection_window = Fin du délai d'opposition de l'État d'exécution
clock-preservation_end = Fin de la conservation
clock-nondisclosure_end = Fin de la confidentialité
clock-retention = Fin de la durée de conservation
outcome-met = Respecté
outcome-overdue = Dépassé
outcome-withdrawn = Retirée
outcome-proceeds = Se poursuit
outcome-lapsed = Caduque
outcome-notice_due = Information due
outcome-disposal_due = Destruction due
outcome-moot = Sans objet
outcome-cancelled = Annulé
outcome-objected = Opposition formée

## Le lien de l'officier de permanence
verify-title = Confirmer une demande urgente
verify-intro = Un fournisseur vous demande, en tant que contact enregistré de votre autorité, de confirmer que votre autorité a bien envoyé une demande urgente.
verify-secret = Le code de votre lien
verify-secret-hint = La partie du lien après le signe #.
verify-open = Afficher la demande
verify-secret-missing = Saisissez le code de votre lien
verify-invalid-title = Ce lien ne fonctionne pas
verify-invalid-body = Il a déjà servi, il a expiré, ou il n'a jamais existé. Demandez-en un nouveau au fournisseur.
verify-question = Votre autorité a-t-elle envoyé cette demande ?
verify-reference = Référence de votre autorité
verify-expires = Ce lien fonctionne jusqu'au
verify-targets-withheld = Les personnes dont les données sont demandées ne sont pas affichées ici : vous confirmez seulement que la demande vient de votre autorité.
verify-note = Une note pour le fournisseur (facultative)
verify-confirm = Confirmer : nous l'avons envoyée
verify-deny = Démentir : nous ne l'avons pas envoyée
verify-confirmed-title = Merci : confirmée
verify-confirmed-body = La demande passe au contrôle. Votre confirmation est consignée dans le journal ; ce lien ne fonctionne plus.
verify-denied-title = Merci : démentie
verify-denied-body = La demande est rejetée comme non envoyée par votre autorité. Votre réponse est consignée dans le journal ; ce lien ne fonctionne plus.
