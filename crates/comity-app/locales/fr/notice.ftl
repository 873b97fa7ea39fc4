# L'avis à la personne concernée par une demande (issue 15, point 1) : en langage clair.
# comity_app::person_notices l'écrit à partir de ces messages ; le texte n'est jamais
# conservé ni journalisé, seulement un engagement (commitment) sur lui.

notice-subject = Une autorité publique a obtenu des données vous concernant auprès de { $provider }
notice-intro =
    Bonjour,

    Cet avis vous informe qu'une autorité publique a demandé à { $provider } des données vous
    concernant, et que ces données lui ont été remises. La demande visait : { $target }.
notice-who = Qui a demandé : { $authority }, une autorité de { $country }, sous sa référence { $reference }.
notice-law = En vertu de quelle loi : { $law }.
notice-data = Quelles données : { $categories }, pour la période du { $from } au { $to }.
notice-left = Ce qui a été remis : { $records } enregistrements, livrés à { $authority } le { $delivered }, chiffrés pour que seule cette autorité puisse les lire.
notice-left-none = Ce qui a été remis : aucun enregistrement ne correspondait à la demande ; rien vous concernant n'a été remis.
notice-nondisclosure = L'autorité a demandé que vous ne soyez pas informé avant le { $until }. Cette date est passée.
notice-delayed = Un contrôleur indépendant ({ $by }) a décidé que vous ne seriez pas informé avant le { $until }, pour le motif suivant : { $reasoning }
notice-remedies =
    Ce que vous pouvez faire :
    - Demander à { $provider } quelles données ont été remises, et les faire rectifier si elles sont inexactes.
    - Saisir l'autorité de protection des données du pays où vous vivez, ou de { $country }.
    - Contester la demande devant les juridictions de { $country }, qui l'a émise ; un avocat ou une autorité de protection des données peut le faire pour vous.
    - Faire enregistrer un représentant (un avocat, une autorité de protection des données) pour cette demande dans comity : il peut voir les décisions prises et les contester.
notice-log =
    Vous pouvez vérifier ce qui s'est passé : chaque étape de cette demande est inscrite dans le journal public de comity, que personne ne peut modifier sans que cela se voie.
    Demande : { $request }
    Ses entrées du journal : { $entries }
notice-log-url = Le journal : { $url }
notice-sign = { $provider }, par l'intermédiaire de comity

notice-check =
    Pour vérifier cet avis plus tard : c'est le texte ci-dessus, de « Bonjour » à la signature. Son engagement SHA-256, conservé dans le journal de la demande, est calculé sur la ligne « comity-person-notice/v1 », le sel et ce texte.
    Sel : { $salt }
    Engagement : { $commitment }

category-subscriber = le titulaire du compte (données relatives aux abonnés)
category-identification = les données qui vous identifient lors de vos connexions (comme les adresses IP)
category-traffic = avec qui vous avez communiqué, quand et d'où (données relatives au trafic)
category-content = le contenu de vos messages et fichiers

instrument-eu-e-evidence = le règlement (UE) 2023/1543 relatif aux injonctions européennes de production et de conservation
instrument-us-cloud-act = le CLOUD Act des États-Unis (18 U.S.C. § 2523) et un accord exécutif
instrument-coe-budapest = la Convention du Conseil de l'Europe sur la cybercriminalité (Convention de Budapest)
instrument-mlat = un traité d'entraide judiciaire

# L'avis d'un recours à une personne touchée (issue 15, point 4).

remedy-subject = { $provider } a transmis par erreur des données vous concernant, et les a rappelées
remedy-intro =
    Bonjour,

    Cet avis vous informe que { $provider } a transmis par erreur à une autorité publique des données vous concernant, et de ce qui a été fait pour y remédier.
remedy-who = Qui les a reçues : { $authority }, une autorité de { $country }, sous sa référence { $reference }, le { $delivered }.
remedy-ground-wrong_account = Ce qui s'est produit : les données d'un compte que la demande ne visait pas ont été transmises.
remedy-ground-out_of_scope = Ce qui s'est produit : plus de données ont été transmises que la décision sur la demande ne le permettait (une autre période, ou d'autres types de données).
remedy-ground-third_party_unmasked = Ce qui s'est produit : des données vous concernant ont été transmises avec celles de la personne visée par la demande, alors qu'elles auraient dû être masquées.
remedy-ground-decision_overturned = Ce qui s'est produit : la décision qui autorisait la transmission a été annulée en appel.
remedy-ground-withdrawn = Ce qui s'est produit : la demande a été retirée après la transmission des données.
remedy-recall = Ce qui a été fait : le { $opened }, les données ont été rappelées. { $authority } doit les effacer et attester leur effacement au plus tard le { $due }. La copie de comity a été détruite le jour même.
remedy-recall-met = { $authority } a attesté le { $at } avoir effacé les données.
remedy-correction = Un jeu de données corrigé, dans les limites de ce que la demande permettait, est transmis à leur place.
remedy-check =
    Pour vérifier cet avis plus tard : il s'agit du texte ci-dessus, de « Bonjour » à la signature. Son engagement SHA-256, conservé dans le journal de la demande, est calculé sur la ligne « comity-remedy-notice/v1 », le sel et ce texte.
    Sel : { $salt }
    Engagement : { $commitment }
