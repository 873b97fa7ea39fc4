# The notice to a person concerned by a request (issue 15, item 1): plain language, no
# legal Latin. comity_app::person_notices writes it from these messages; the text is never
# stored or logged, only a commitment to it.

notice-subject = A public authority obtained data about you from { $provider }
notice-intro =
    Hello,

    This notice tells you that a public authority asked { $provider } for data about you, and
    that the data was handed over. The request concerned: { $target }.
notice-who = Who asked: { $authority }, an authority of { $country }, under its reference { $reference }.
notice-law = Under which law: { $law }.
notice-data = What data was asked for: { $categories }, covering the period from { $from } to { $to }.
notice-left = What was handed over: { $records } records, delivered to { $authority } on { $delivered }, encrypted so that only that authority can read them.
notice-left-none = What was handed over: no records matched the request; nothing about you was handed over.
notice-nondisclosure = The authority asked that you not be told before { $until }. That date has passed.
notice-delayed = An independent reviewer ({ $by }) decided that you would not be told before { $until }, for this reason: { $reasoning }
notice-remedies =
    What you can do:
    - Ask { $provider } which data was handed over, and correct it if it is wrong.
    - Complain to the data protection authority of the country where you live, or of { $country }.
    - Challenge the request before the courts of { $country }, which issued it; a lawyer or a data protection authority can do this for you.
    - Have a representative (a lawyer, a data protection authority) registered for this request in comity: they can see the decisions taken on it and appeal them.
notice-log =
    You can check what happened: every step of this request is recorded in comity's public log, which nobody can change without it showing.
    Request: { $request }
    Its log entries: { $entries }
notice-log-url = The log: { $url }
notice-sign = { $provider }, through comity

notice-check =
    To check this notice later: it is the text above, from "Hello" to the signature. Its SHA-256 commitment, kept in the log of the request, is computed over the line "comity-person-notice/v1", the salt and that text.
    Salt: { $salt }
    Commitment: { $commitment }

category-subscriber = who holds the account (subscriber data)
category-identification = data that identifies you when you connect (such as IP addresses)
category-traffic = who you communicated with, when and from where (traffic data)
category-content = the content of your messages and files

instrument-eu-e-evidence = Regulation (EU) 2023/1543 on European Production and Preservation Orders
instrument-us-cloud-act = the United States CLOUD Act (18 U.S.C. § 2523) and an executive agreement
instrument-coe-budapest = the Council of Europe Convention on Cybercrime (Budapest Convention)
instrument-mlat = a treaty on mutual legal assistance

# The notice of a remedy to a person affected (issue 15, item 4): data about them was
# handed over in error, and what was done about it. comity_app::remedies writes it.

remedy-subject = { $provider } handed over data about you in error, and has recalled it
remedy-intro =
    Hello,

    This notice tells you that { $provider } handed data about you to a public authority in error, and what has been done to put it right.
remedy-who = Who received it: { $authority }, an authority of { $country }, under its reference { $reference }, on { $delivered }.
remedy-ground-wrong_account = What went wrong: the data of an account the request did not name was handed over.
remedy-ground-out_of_scope = What went wrong: more data was handed over than the decision on the request allowed (another period, or other kinds of data).
remedy-ground-third_party_unmasked = What went wrong: data about you was handed over with the data of the person the request concerned, when it should have been hidden.
remedy-ground-decision_overturned = What went wrong: the decision that allowed the data to be handed over was overturned on appeal.
remedy-ground-withdrawn = What went wrong: the request was withdrawn after the data had been handed over.
remedy-recall = What was done: on { $opened }, the data was recalled. { $authority } must delete it and attest the deletion by { $due }. comity's own copy was destroyed the same day.
remedy-recall-met = { $authority } attested on { $at } that it deleted the data.
remedy-correction = A corrected set of data, within what the request allowed, is handed over in its place.
remedy-check =
    To check this notice later: it is the text above, from "Hello" to the signature. Its SHA-256 commitment, kept in the log of the request, is computed over the line "comity-remedy-notice/v1", the salt and that text.
    Salt: { $salt }
    Commitment: { $commitment }
