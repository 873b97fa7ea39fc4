# comity's portal, in English. Every string a page shows is here; French is in ../fr.
# A test checks that both files have exactly the same messages.

## Frame
skip-to-content = Skip to main content
nav-account = Your account
nav-language = Language
nav-pages = Pages
sign-in = Sign in
sign-out = Sign out
footer-about = comity: government requests for data that cross a border, decided by an independent reviewer and recorded in a public log anyone can check.
footer-checkpoint = The log's latest checkpoint
footer-api = The API's description (OpenAPI)
back-home = Back to your home page
yes = Yes
no = No
emergency = Emergency
overdue = Overdue
no-deadline = No deadline runs
minutes-left = { $minutes } minutes

## Roles
role-admin = operator
role-requester = authority clerk
role-handler = provider legal team
role-reviewer = reviewer
role-representative = representative of the person concerned
role-auditor = auditor

## Errors
error-summary-title = There is a problem
error-prefix = Error:
error-title = This could not be done
error-internal = Something went wrong on our side. It has been recorded as incident { $incident }; try again, and give that number to your operator if it happens again.
error-locked = Too many failed sign-ins for this name from your network. Wait { $seconds } seconds, then try again.
error-forbidden = Your role may not do this on this request.
error-illegal-transition = The request cannot make this step from the state it is in now. Reload the page to see where it stands.
error-rate-limited = Too many requests from your network. Wait a minute, then try again.
error-invalid-credentials = The user name, password or code is wrong. Check all three: the code changes every 30 seconds, and each code works once.
error-enrolment-expired = This set-up has ended: it lasts 10 minutes, and ends once a code is used. Sign in again with your user name and password.
not-found-title = Page not found
not-found-body = There is nothing here you can open. If you typed the address, check it; if you followed a link, the request may not exist or may not be one your organisation can see.
sign-in-first-title = Sign in to see this page
sign-in-first-body = This page is for people who have signed in. Sign in, then open it again.
form-expired-title = This form has expired
form-expired-body = For your safety, comity only accepts a form sent from its own page, in the same browser. Go back, reload the page and send the form again.
form-unreadable-title = This form could not be read
form-unreadable-body = The form sent was not one comity's pages send. Go back, reload the page and try again.
too-many-failures = Too many failed attempts from your network. Wait a few minutes, then try again.

## Sign-in
sign-in-title = Sign in
sign-in-username = User name
sign-in-password = Password
sign-in-code = Code from your authenticator app
sign-in-code-hint = Six digits. At your first sign-in, leave this empty: you will set up your authenticator next.
sign-in-username-missing = Enter your user name
sign-in-password-missing = Enter your password
sign-in-code-shape = Enter the six digits your authenticator app shows, or leave the code empty at your first sign-in
sign-in-first-time-wrong = The user name or password is wrong, or this account already has an authenticator: then enter the code it shows.
sign-in-help-title = Cannot sign in?
sign-in-help = Your operator created your account and gave you your user name and first password. They can also disable it and create a new one if you have lost your authenticator.
session-ended = Your session has ended. Sign in again to go on.

## Enrolment
enrol-title = Set up your authenticator
enrol-intro = Your password was right. To protect the requests you work on, comity also asks for a code from an authenticator app on your phone at every sign-in.
enrol-scan = Open your authenticator app (for example FreeOTP, Aegis, Google Authenticator or Microsoft Authenticator) and scan this code.
enrol-key = Or type this key into the app:
enrol-qr-label = QR code to scan with your authenticator app
enrol-no-qr = The QR code could not be drawn; type the key below into your app instead.
enrol-type-code = Then type the six-digit code the app shows for comity.
enrol-finish = Finish and sign in
enrol-expires = This page works for { $minutes } minutes. After that, sign in again with your user name and password.
enrol-code-wrong = The code is wrong. Type the six digits the app shows now for comity.
enrol-code-retry = Check that your phone's clock is set automatically, then type the code the app shows now.

## Home pages
home-title-requester = Your authority's requests
home-intro-requester = Each request your authority sent, with the next deadline it runs against. Open one to answer questions or to collect what was produced.
home-title-handler = Inbox
home-intro-handler = The requests addressed to your organisation, the soonest deadline first. Open one to see its screening, its reviewer and what you may do next.
home-title-reviewer = Requests assigned to you
home-intro-reviewer = The requests your body must decide on, the soonest deadline first. Open one to read it with its screening and the authority's track record, and to decide.
home-title-auditor = Audit
home-intro-auditor = The public log and the figures of every request. You read no request's contents; you check that the log holds together and sample requests to audit.
home-title-admin = Operator
home-intro-admin = The people and systems that use this comity.
home-title-representative = Representing the person concerned
home-intro-representative = You were registered to represent the person concerned in a request, on their mandate. The request's decision, its grounds and the appeals are at GET /v1/requests/ID/decision in the API, and you appeal through it; the portal's pages for representatives come next.
home-empty = Nothing here yet.
home-caption = { $count ->
    [one] One request
   *[other] { $count } requests
}
page-previous = Previous page
page-next = Next page
page-of = Page { $page } of { $pages }
col-reference = Reference
col-state = State
col-next-deadline = Next deadline
col-parties = From → to
col-received = Received
col-count = Requests
col-user = Person
col-org = Organisation
col-role = Role
col-status = Status
col-token = Token
col-expires = Expires
col-deadline = Deadline
col-due = Due
status-disabled = Disabled
status-active = Active
auditor-states = Requests by state
admin-accounts = Accounts
admin-tokens = API tokens
admin-cli-hint = Register parties, keys, accounts and tokens with the comity command on the server, or through the API (/v1/admin).

## Public
public-title = comity
public-lead = comity is where government requests for people's data cross a border only when they are lawful, specific and proportionate.
public-point-lawful = Every request is signed by a registered authority and screened against the law it relies on.
public-point-review = An independent reviewer decides; the company holding the data never picks who.
public-point-minimum = Only the data the decision allows leaves, sealed for the authority that asked.
public-point-log = Every step is recorded in a public log that anyone can check with their own tools.
public-sign-in = Sign in to your work
log-title = The public log
log-size = Entries
log-cosignatures = Witness cosignatures on the latest checkpoint
log-key = Verifier key
log-checkpoint = Latest checkpoint
log-no-checkpoint = No checkpoint has been signed yet; one follows the first entry within seconds.
log-verify-title = Check it yourself
log-verify-intro = The log follows the C2SP signed-note and tiled-log specifications. To check every entry and hash against the checkpoint, run:
log-verify-sample = To draw a random sample of requests to audit from the checkpoint:

## A request
request-title = Request { $reference }
request-summary = The request
request-authority = Authority
request-provider = Provider
request-instrument = Legal instrument
request-kind = Kind
request-emergency = Emergency
request-categories = Data asked for
request-targets = Accounts named
request-period = Period
request-offence = Offence
request-justification = Why the data is needed
request-received = Received
request-deadlines = Deadlines
clock-running = Running
request-screening = Screening against the law
screening-none = Not screened yet.
screening-verdict = Verdict:
screening-pack = policy pack { $pack }, version { $version }
screening-passed = { $count ->
    [one] One rule passes or does not apply
   *[other] { $count } rules pass or do not apply
}
request-track-record = The authority's track record
record-requests = Requests sent
record-rejected = Rejected
record-emergencies = Emergencies
record-confirmed = Emergencies confirmed / held for verification
request-history = What happened, step by step
request-actions = What you can do
decision-grounds = Grounds for this decision
decision-answer = Your answer to the finding { $rule }
scope-title = What may leave
scope-hint = Untick what the decision does not let leave, and narrow the period if it must be shorter. Nothing wider than the request can be approved.
scope-targets = Accounts
scope-from = From
scope-to = Until
scope-time-hint = In UTC, as 2026-06-01T00:00:00Z.
scope-time-wrong = Write each time in UTC, as 2026-06-01T00:00:00Z
question-title = Your questions to the authority
question-hint = Each question says why (the reasons of Annex III of the e-Evidence Regulation) and, where it is about one field, which. The authority answers with an amended request. Leave a question empty to ask fewer.
question-n = Question { $n }
question-reason = Why
question-field = About
question-whole = The request as a whole
question-text = The question
question-field-justification = why the data is needed
question-field-offence-description = the offence
question-field-offence-max_sentence_months = the maximum sentence
question-field-targets = the accounts named
question-field-data_categories = the data asked for
question-field-time_window = the period
question-field-issuing-validated_by = the validating authority
question-field-issuing-reference = the authority's reference
question-field-nondisclosure = keeping it from the person
clarification-incomplete = It is incomplete
clarification-manifest_error = It contains a manifest error
clarification-insufficient_information = It does not contain enough information to execute it
move-reason = Your reasons, as they will be recorded
move-reason-missing = Give your reasons: every step is recorded with them

## Productions
production-title = Productions
production-status-started = Being produced
production-status-failed = Failed
production-status-sealed = Sealed, waiting for the authority
production-status-acknowledged = Received by the authority
production-started = Started
production-records = Records let through / read
production-retention = Kept by the authority until
production-retention-hint = A date (2027-06-30, to the end of that day, UTC) in the future: the authority must dispose of the data then.
production-sha256 = SHA-256 of the package
production-size = Size of the package
production-failure = Why it failed
production-custody = Chain of custody
custody-production-started = production started
custody-production-sealed = package sealed and signed
custody-production-failed = production failed
custody-production-downloaded = package downloaded
custody-production-acknowledged = package acknowledged by the authority
production-download = Download the package
production-download-hint = Each download is recorded in the log before it starts.
production-verify = Check the package and open it with your authority's age identity:
production-verify-hint = comity checks the provider's signature and every file's SHA-256, and writes the files only if all of them hold. The standard age tool opens the package too (age -d -i your-age-identity.txt).
production-ack-label = SHA-256 of the package you received
production-ack-hint = The package's SHA-256 as you computed it (sha256sum, or comity package verify prints it). It must be the one above: then the request is delivered.
production-ack = Acknowledge receipt
production-ack-missing = Enter the SHA-256 of the package you received
production-upload-title = Produce the data
production-upload-intro = Upload your export (JSON Lines, one record a line, as docs/export-format.md describes). comity lets through only what the decision allows, masks everyone else's data, and seals the package for the authority.
production-national-ids = National identifiers to mask (optional)
production-national-ids-hint = Presidio names, separated by commas, such as UK_NINO,ES_NIF. US_SSN when empty; NONE for none.
production-export = Export file
production-export-hint = A .jsonl file of up to 16 GiB; larger exports are produced on the server with comity produce.
production-export-missing = Choose the export file to upload
production-upload = Upload and produce
production-progress = Upload progress

## Submitting a request
submit-title = Submit a request
submit-open = Submit a request
submit-intro = Fill in the request as your authority issues it. comity checks it as it checks a signed submission: each problem is shown beside its field. It is recorded as submitted by you.
submit-law = The law it relies on
submit-issuing = Your authority
submit-addressee = The provider
submit-offence = The offence
submit-targets = Whose data
submit-targets-hint = One account a row; leave rows empty if you need fewer. Requests for more accounts go through the API.
submit-target = Account { $n }
submit-data = The data and the period
submit-nondisclosure = Keeping the request from the person
submit-send = Submit the request
submit-choose = Choose…
submit-none = None
submit-date-wrong = Choose a date, or type it as 2026-06-01
submit-months-wrong = Write the number of months in figures, such as 36
field-instrument = Legal instrument
field-kind = What you ask for
field-purpose = Purpose
field-emergency = This is an emergency: an imminent threat to life, physical integrity or critical infrastructure
field-issuing-authority_type = Your authority's type
field-issuing-reference = Your reference
field-issuing-validated_by-authority = Validated by (optional)
hint-issuing-validated_by-authority = The registered judicial authority that validated the request, where the law asks for one.
field-issuing-validated_by-authority_type = Type of the validating authority
field-addressee-provider = Provider
field-addressee-country = Country of the provider's establishment or legal representative
hint-addressee-country = Two letters, such as IE.
field-offence-description = The offence
field-offence-max_sentence_months = Maximum custodial sentence, in months (optional)
field-offence-listed_category = Listed offence (optional)
field-offence-via_information_system = Committed wholly or partly by means of an information system
field-offence-committed_in_issuing_state = Committed in your State, by a person who lives there
field-targets-selector-type = Identifier type
field-targets-selector-value = Identifier
field-targets-residence_country = Country of residence (optional)
field-targets-us_person = A US person? (optional)
field-targets-protected_role = A protected role? (optional)
field-data_categories = Data asked for
field-time_window-from = From (the first day)
field-time_window-to = Until (the last day, included)
field-justification = Why the data is needed
hint-justification = The articulable facts that make this data necessary and proportionate for this investigation.
field-nondisclosure-requested = Ask that the person is not told for now
field-nondisclosure-until = Until
field-nondisclosure-reason = Why the person may not be told yet
purpose-criminal_investigation = Criminal investigation
purpose-national_security = National security
purpose-emergency_life = Emergency: a threat to life
purpose-sentence_execution = Execution of a sentence
authority-type-judge = Judge
authority-type-court = Court
authority-type-investigating_judge = Investigating judge
authority-type-prosecutor = Prosecutor
authority-type-police = Police
authority-type-security_service = Security service
authority-type-other = Other
listed-terrorism = Terrorism
listed-child_sexual_abuse = Child sexual abuse
listed-attack_information_system = Attack against an information system
listed-non_cash_payment_fraud = Non-cash payment fraud
protected-journalist = Journalist
protected-lawyer = Lawyer
protected-parliamentarian = Member of parliament
protected-diplomat = Diplomat
protected-clergy = Clergy
protected-medical = Medical professional
selector-account_id = Account id
selector-email = E-mail address
selector-phone = Phone number
selector-ip = IP address
selector-device_id = Device id
selector-username = User name
selector-domain = Domain
selector-keyword = Search term (never admissible)
selector-geofence = Area (never admissible)
selector-group = Group (never admissible)
selector-wildcard = Pattern (never admissible)

amend-title = Answer with an amended request
amend-intro = The provider or the reviewer asked for clarification. Correct or complete the request below: comity keeps both versions and what changed, and screens the amended request again.
amend-questions = What you were asked
amend-send = Send the amended request
amend-open = Answer the questions

## Instruments, kinds and data
instrument-eu-e-evidence = EU e-Evidence Regulation (2023/1543)
instrument-us-cloud-act = US CLOUD Act agreement
instrument-coe-budapest = Budapest Convention on Cybercrime
instrument-mlat = Mutual legal assistance treaty
kind-production = Production of data
kind-preservation = Preservation of data
category-subscriber = subscriber data
category-identification = data to identify the user
category-traffic = traffic data
category-content = content

## Screening
verdict-admissible = admissible
verdict-needs_review = needs review
verdict-needs_clarification = needs clarification
verdict-inadmissible = inadmissible
finding-pass = Passes
finding-fail = Fails
finding-review = For review
finding-clarify = To clarify
finding-not_applicable = Not applicable

## States
state-received = Received
state-screening = Screening
state-pending_verification = Emergency awaiting verification
state-under_review = Under review
state-clarification_requested = Clarification asked for
state-approved = Approved
state-partially_approved = Partly approved
state-rejected = Rejected
state-preserved = Preserved
state-appealed = Appealed
state-producing = Being produced
state-delivered = Delivered
state-closed = Closed
state-withdrawn = Withdrawn

## Moves (the button and heading of each)
move-received = Mark as received
move-screening = Screen
move-pending_verification = Hold for verification
move-under_review = Send to review
move-clarification_requested = Ask the authority for clarification
move-approved = Approve
move-partially_approved = Approve in part
move-rejected = Reject
move-preserved = Preserve the data
move-appealed = Appeal this decision
move-producing = Start production
move-delivered = Mark as delivered
move-closed = Close
move-withdrawn = Withdraw

## Deadlines and what their passing did
clock-respond_by = Answer due
clock-validation = Emergency validation due
clock-objection_window = Enforcing State's objection window ends
clock-preservation_end = Preservation ends
clock-nondisclosure_end = Nondisclosure ends
clock-retention = Retention ends
outcome-met = Met
outcome-overdue = Overdue
outcome-withdrawn = Withdrawn
outcome-proceeds = Proceeds
outcome-lapsed = Lapsed
outcome-notice_due = Notice due
outcome-disposal_due = Disposal due
outcome-moot = No longer needed
outcome-cancelled = Cancelled
outcome-objected = Objected

## The duty officer's link
verify-title = Confirm an emergency request
verify-intro = A provider asks you, as a registered contact of your authority, to confirm that your authority really sent an emergency request.
verify-secret = The code from your link
verify-secret-hint = The part of the link after the # sign.
verify-open = Show the request
verify-secret-missing = Enter the code from your link
verify-invalid-title = This link does not work
verify-invalid-body = It was used already, it has expired, or it never existed. Ask the provider for a new one.
verify-question = Did your authority send this request?
verify-reference = Your authority's reference
verify-expires = This link works until
verify-targets-withheld = Whose data is asked for is not shown here: you confirm only that the request is your authority's.
verify-note = A note for the provider (optional)
verify-confirm = Confirm: we sent it
verify-deny = Deny: we did not send it
verify-confirmed-title = Thank you: confirmed
verify-confirmed-body = The request goes on to review. Your confirmation is recorded in the log; this link no longer works.
verify-denied-title = Thank you: denied
verify-denied-body = The request has been rejected as not sent by your authority. Your answer is recorded in the log; this link no longer works.
