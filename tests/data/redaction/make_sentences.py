"""Builds Candor's labelled redaction test set: ``python tests/data/redaction/make_sentences.py``.

Every sentence is fictional and was written for this project: hand-written answers with inline labels
(``{name:Priya}``) plus templates filled from ``people.json`` with a fixed seed, so the output is the
same on every run and the committed ``sentences.jsonl`` can be checked against it.

Labels mark exactly what must disappear: a possessive's ``'s`` stays outside the span, an e-mail in angle
brackets is labelled without the brackets. Kinds: name, own_name, handle, email, phone, url, ip, card,
iban, term, ssn, nino.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20261127
PER_ID_TEMPLATE = 5
PER_CLEAN_TEMPLATE = 3

# ---------------------------------------------------------------------------------------------------------------
# Hand-written answers. Markup: {kind:text}. Grouped by (participant, study).
# ---------------------------------------------------------------------------------------------------------------

HAND: dict[tuple[str, str], list[str]] = {
    ("dana", "ai-at-work"): [
        "I asked {name:Priya} to review the deck, and {name:Will}'s team used it for the {term:Bluebird} pilot.",
        "We may grant access next May, once {name:Grant} signs off.",
        "{name:Will} said the Copilot licences will arrive in June.",
        "Honestly, {name:May} and I rewrote half the prompts on Friday.",
        "I'm {own_name:Dana}, and I run the data team under {name:Hope Adeyemi}.",
        "My manager {name:Mark} thinks AI will mark the end of manual QA, which I doubt.",
        "I sent it to {email:priya.raman@example.com} and {email:will.turner@example.com} on Monday.",
        "If anything breaks, ping me on {handle:@dwhitfield} or call {phone:+44 20 7946 0958}.",
        "{name:Bill}'s spreadsheet was the bill of materials for the whole {term:Project Falcon} launch.",
        "I hope {name:Hope} doesn't mind me saying this, but the ChatGPT pilot stalled in April.",
        "{name:Frank} was frank with us: the Excel macros had to go.",
        "{name:June Park} set up the Python notebooks in June.",
        "Before {name:Zoë} joined, nobody documented the {term:Northwind Logistics} data feeds.",
        "{name:José}'s script pulled everything from {url:https://wiki.example.com/spaces/DATA/pages/48213} nightly.",
        "{name:Anne-Marie} and {name:Liam O'Neil} own the Tableau dashboards now.",
        "I cc'd {name:James}' manager because {name:James} was on leave.",
        "{name:Bob} (well, {name:Robert} on paper) built the first GPT-4 prototype.",
        "{name:Kate} said the model was fine for summaries but not for legal text.",
        "The server at {ip:10.20.4.17} ran the pilot; {name:Tomasz} patched it twice.",
        "My direct line is {phone:(555) 123-4567} if the researchers need more.",
        "{own_name:Dana Whitfield} here, Finance analytics, Berlin office.",
        "We ran it past {name:Priya}’s lawyer friend, off the record.",
        "honestly {name:priya} did most of the work, i just reviewed",
        "Reimbursements go to my IBAN {iban:DE89 3704 0044 0532 0130 00} and they still take weeks.",
        "I once pasted a card number, {card:4111 1111 1111 1111}, into the chatbot by accident.",
        "{name:Chris Young} and {name:Aisha} argued about whether Gemini or Claude was better.",
        "{name:Mei-Ling} asked me to loop in {handle:@annemarie} and {handle:@liam.oneil}.",
        "The escalation path is {name:Siobhán}, then {name:Björn}, then whoever is on call.",
        "I told {name:will} to stop using the free tier.",
        "{name:Inês} wrote the Portuguese prompts; {name:Rahul} did the Hindi ones.",
        "Our contractor's number in Munich is {phone:+49 30 901820}.",
        "For the pilot in Lyon we called {phone:+33 1 23 45 67 89} every morning.",
        "The Bangalore team lead, {name:Rahul Mehta}, is on {phone:+91 98765 43210}.",
        "{name:Lena}'s German number was {phone:0151 496 0000}, or something close.",
        "Write to {name:Dana Silva} <{email:dana.silva@example.com}> for access.",
        "{name:Sam} said we should just use the Notion AI add-on.",
        "Our team in São Paulo used {url:www.example.org/pilot-results} to share findings.",
        "The {term:Bluebird} model was retired after {name:Grant} and {name:May} reviewed the costs.",
        "I know {name:Katherine} prefers Copilot, and {name:Liz} prefers nothing at all.",
        "Grant writing is where AI helped me most, and {name:Grant} agrees.",
        "The ticket just says ASSIGNED TO {name:OKAFOR}, nothing else.",
        "Honestly the email only said: ask {name:PRIYA}.",
    ],
    ("kofi", "meetings"): [
        "I'm {own_name:Kofi}, I've been on the Platform team for three years.",
        "Every Monday's standup with {name:Mark Jensen} runs over by twenty minutes.",
        "{name:Will} will probably say the opposite, but the {term:Orion} retro was useful.",
        "{name:May}'s standup notes are the only ones anyone reads.",
        "We moved the {term:Team Kestrel} sync from Tuesday to Thursday because {name:Nadia} asked.",
        "Join via {url:https://meet.example.com/j/8812345} — the code is in the invite.",
        "Half the meetings are booked by {handle:@grant.o} without an agenda.",
        "{name:Seun} keeps his camera off, which I respect.",
        "When {name:Zoe} runs the planning meeting it ends on time.",
        "{name:Jose} from Legal joins only for the first ten minutes.",
        "I forwarded the invite from {email:kofi.mensah@corp.example} to my personal address by mistake.",
        "{own_name:Kofi Mensah}, {phone:+44 7700 900123}, in case you need to follow up.",
        "The {term:Halcyon Labs} people send calendar holds for everything.",
        "{name:Frank}'s rule is no meetings on Friday, and I love him for it.",
        "{name:Priya} and {name:Will} co-chair the architecture review.",
        "{name:Hope} told me the Thursday review is optional.",
        "{name:Mark} asked whether we could record the sessions in Teams.",
        "Honestly {name:June}'s one-to-ones are the best meeting of my week.",
        "The dial-in for the US folks is {phone:+1 415-555-0132}.",
        "I blocked Wednesdays after {name:Tomasz Nowak} showed me his calendar.",
        "Ask {name:Anne-Marie Dubois}, she set up the room booking system.",
        "{name:Grant} said we'd get access next May, but May came and went.",
        "Our VPN gateway {ip:192.168.40.2} drops every call longer than an hour.",
        "{name:O'Neil} never turns up to the all-hands.",
        "With {name:Bill} out, {name:Chris} ran the quarterly review.",
        "I'd rather email {name:Siobhan} than sit through another sync.",
        "{name:Kate Wu} and I pair on the agenda every Sunday night.",
        "Meeting notes live at {url:http://intranet.corp.example/teams/42/notes} but nobody reads them.",
        "{name:Aisha Bello}’s team uses a shared Google Doc instead of Confluence.",
        "Please don't quote me, but {name:James Carter} cancels his own meetings.",
        "The recordings sit on {url:https://files.example.net/share/rec?id=77&t=1}, open to anyone with the link.",
        "{name:Anne Marie} from Finance chairs the budget call.",
        "Our Teams bot posts the agenda from {ip:fe80::1ff:fe23:4567:890a} for some reason.",
    ],
    ("grace", "tools"): [
        "I'm {own_name:Grace}, I work in procurement.",
        "{own_name:Grace} here — I mostly use Excel and SAP.",
        "My full name is {own_name:Grace Holm} but everyone says {own_name:Holm} on the phone.",
        "The vendor's support line {phone:+353 1 555 0199} never picks up.",
        "Our corporate card {card:5555 5555 5555 4444} was declined on the SaaS renewal.",
        "Supplier payments go to {iban:GB82 WEST 1234 5698 7654 32} each month.",
        "{name:Ruth} reviews every purchase order over ten thousand.",
        "I asked {name:Bob} for the licence keys and he sent them to {email:bob.fischer@example.com}.",
        "When the Jira plugin broke, {name:Dana} filed the ticket.",
        "My employee record lists my SSN as {ssn:536-27-8841}, which I didn't want in a chatbot.",
        "For the UK payroll tool I had to type my NI number, {nino:JG 10 37 45 D}, three times.",
        "{name:Mark}, {name:Grant} and {name:Will} all approved the request.",
        "{name:Frank} and {name:Hope} still print everything.",
        "The admin console at {url:https://admin.example.net/tenants/7781} shows who has a seat.",
        "{name:Ines} asked me to allow {ip:203.0.113.45} for the new scanner.",
        "My old number, {phone:07700 900456}, is still on some vendor forms.",
        "{name:Rahul}’s team switched from Trello to Asana in March.",
        "I only found out because {name:Lena Vogel} forwarded the thread.",
        "{name:Björn Svensson} runs the licence audits every quarter.",
        "The Amex we use for tools is {card:3782 822463 10005}, which is probably in ten spreadsheets.",
        "Refunds from the Dutch supplier came from {iban:NL91ABNA0417164300}.",
        "I gave the auditor my NINO, {nino:AB123456C}, over chat, which felt wrong.",
    ],
    ("ruth", "ai-at-work"): [
        "{own_name:Ruth Blake}, Legal. I review every AI vendor contract.",
        "I told {name:Priya} that {term:Project Falcon} can't use customer data.",
        "The DPA went to {email:legal@northwind.example} and to {name:Grant}.",
        "{name:Aisha}'s question was whether prompts count as records.",
        "If unsure, people should message {own_name:Ruth} directly.",
        "{name:Will} and I drafted the acceptable-use policy over two weekends.",
        "Our outside counsel, {name:Nadia Haddad}, reads everything twice.",
        "Send the signed copy to {email:ruth.blake@example.com} and keep it off {term:Bluebird}.",
        "The {term:Northwind Logistics} contract names {name:Tomasz} as the data owner.",
        "HR wanted my US SSN ({ssn:287-65-4321}) for the vendor's background check.",
    ],
    ("ewan", "meetings"): [
        "{own_name:Ewan} from Support. Most of my meetings are escalations.",
        "You can reach me at {email:ewan.mcleod@example.co.uk} or {phone:0131 496 0123}.",
        "{name:Siobhán Kelly} runs the Dublin standup at 9:15 every morning.",
        "{name:May Chen} said the Monday meeting could be an email.",
        "I joined {term:Team Kestrel} in May, and {name:May} was my buddy.",
        "Ask {handle:@june.p} about the shared calendar.",
        "{name:Will}, if you're reading this: the Wednesday sync is too long.",
        "{own_name:McLeod} is how they know me on the phone queue.",
        "{name:Chris}'s retros are good because he actually closes the action items.",
        "Our escalation bridge is {phone:+44 (0)20 7946 0011}, and it is always busy.",
        "I asked {name:Mei-Ling Tan} and {name:Bob Fischer} to stop scheduling lunch meetings.",
    ],
    ("rosa", "tools"): [
        "{own_name:Rosa Jiménez}, product design, Madrid.",
        "My Spanish mobile is {phone:+34 612 34 56 78}.",
        "{name:José García} and I share a Figma workspace.",
        "{name:Inês Ferreira} moved us to Miro after {name:Nadia Haddad} changed teams.",
        "People write {own_name:Rosa Jimenez} without the accent and it still reaches me.",
        "The {name:Jensen} file server at {ip:10.0.8.250} is where the old mockups live.",
        "I ping {handle:@zoe.l} when Figma's AI layers go wrong.",
        "{name:Zoë Lindqvist}'s plugin renames every layer with GPT.",
        "My portfolio is at {url:https://rosa-designs.example.com}, please don't link it.",
        "honestly {name:will} did most of it, I just reviewed.",
        "I think {name:Tomsaz} has the Figma licences, or maybe {name:Inês} does.",
        "{name:bill} said he'd sort the plugin out by Friday.",
    ],
}

CLEAN_HAND: dict[tuple[str, str], list[str]] = {
    ("dana", "ai-at-work"): [
        "We may grant access next May, after the audit.",
        "I will mark the ticket as done once Excel stops crashing.",
        "Monday's standup is the only meeting I'd keep.",
        "The AI summary in Teams is fine, but Outlook's is useless.",
        "May I add something about the Python tooling?",
        "Will the Copilot licences renew in June?",
        "In May we shipped the new Salesforce integration.",
        "I hope the April release fixes the PowerPoint export.",
        "Frank feedback from Legal would have saved us a month.",
        "Grant applications are still typed up in Word.",
        "The bill for the GPU cluster doubled in August.",
        "Mark my words: nobody reads the Confluence pages.",
        "We will see how it goes after the Q3 review.",
        "Hope is not a strategy, but it is our roadmap.",
        "June is when the fiscal year ends for us.",
        "Every Friday we demo what we built in Jira that week.",
        "ChatGPT writes decent SQL, but it invents column names.",
        "The new HR portal went live on Tuesday, 3 March.",
        "GitHub Copilot saves me maybe an hour a day.",
        "Our Kubernetes cluster has run version 1.29.4 since 2024-03-15.",
        "I spend about 40% of my week in Slack threads.",
        "The London and Berlin offices use different Zoom rooms.",
        "Azure OpenAI was approved by the Security Council in October.",
        "I'd grant that the tool is faster, but the output needs checking.",
        "It may be that Gemini is better at spreadsheets.",
        "They will bill us per seat from next year.",
        "We mark everything confidential by default.",
        "I'm hopeful, though not sure the Tableau migration will finish by Christmas.",
        "To be frank, the onboarding was confusing.",
        "Version 3.11.7 broke our Jupyter kernels for a week.",
    ],
    ("kofi", "meetings"): [
        "Q4 targets are set in the November offsite.",
        "Our Wednesday demo moved to Thursday at 14:30.",
        "The CFO wants an AI policy before Easter.",
        "Notion AI and Google Docs both summarise meeting notes now.",
        "We tested Claude, Llama and Mistral on the same 200 tickets.",
        "The budget went from 20,000 to 35,000 euros between 2023 and 2024.",
        "Order 12345678 was delayed by three weeks.",
        "Sunday nights are when I clear my Outlook inbox.",
        "Design reviews happen in Figma, then Engineering picks them up in Linear.",
        "We'll park that question until the next quarter.",
        "The young analysts adopted it first.",
        "The May release was the first one with the AI assistant.",
        "We ship every second Tuesday, except in August.",
        "Microsoft Teams crashes when I share my screen on Linux.",
        "Standups on Monday, retros on Friday, and nothing in between.",
        "The April and May numbers were both above target.",
        "Meeting-free Wednesdays were the best change this year.",
        "Slack huddles replaced most of our quick calls.",
        "We kept the Monday 10:00 sync but cut it to 15 minutes.",
        "On Thursday's call the VP asked for a cost breakdown.",
        "May was busy, June was worse.",
        "Hopefully the June offsite is in person.",
        "The 2019-2024 roadmap is finally retired.",
    ],
    ("grace", "tools"): [
        "We got a grace period of two weeks before the new tool was mandatory.",
        "Grace periods for licence renewals are 30 days.",
        "It took 15 minutes to onboard, which is good for SAP.",
        "The SOC 2 report lists 48 controls.",
        "I think the new Power BI reports are better than the old SSRS ones.",
        "If AI writes the first draft, who owns the mistakes?",
        "Excel is still the real database of this company.",
        "Payroll runs on the 25th; in December it runs on the 20th.",
        "Amazon Bedrock was cheaper than we expected.",
        "The Help Desk closes tickets after 72 hours without a reply.",
        "Security blocked DeepL until the DPA was signed.",
        "The IT team rolled out Windows 11 last autumn.",
        "I may not be the right person to ask about Snowflake costs.",
        "Will it scale? Nobody in Platform knows yet.",
        "Grant us more time and we will deliver.",
        "The new Jira workflow has 11 states, which is too many.",
        "Our CRM is HubSpot, and the AI features cost extra.",
        "We bill hours in Harvest and report them in Looker.",
        "Frankly, the AI Act is the least of our worries.",
    ],
    ("ruth", "ai-at-work"): [
        "I asked whether the EU AI Act applies to our chatbot.",
        "The Data Protection Officer signed off in January.",
        "The GDPR training in March was mandatory for everyone.",
        "The grant from the Innovation Fund paid for the pilot.",
        "He said the tool will bill by usage, which scares Finance.",
        "Hope you don't mind a long answer here.",
        "In April, Marketing tried Jasper and dropped it.",
    ],
    ("ewan", "meetings"): [
        "Our Customer Success team writes the best prompts.",
        "I marked the Tuesday session as optional.",
        "The iPhone app syncs with Google Calendar every 5 minutes.",
        "Sales uses Gong to record calls, Engineering uses Loom.",
        "The summer interns used ChatGPT for everything.",
        "Outlook's scheduling assistant is the best AI feature we have.",
    ],
    ("rosa", "tools"): [
        "We use Python for the pipelines and R for the statistics.",
        "Figma's AI rename feature is hit and miss.",
        "Our auditors are Grant Thornton, and they asked how we use AI.",
        "I listened to Frank Sinatra while the Midjourney batch ran.",
        "Mark Zuckerberg's keynote was all anybody talked about on Monday.",
        "The Will to Change report from HR was long but useful.",
        "We rent desks in the Hope Street building in Liverpool.",
        "Microsoft's Grace Hopper talk is on the training portal.",
        "The Park Avenue client asked whether we use AI on their files.",
        "The Young Professionals network runs a Copilot workshop in March.",
        "The Bill of Rights came up in the ethics training, oddly.",
        "Our May Day party was cancelled because of the release.",
        "Someone compared our chatbot to the Will Smith film about robots.",
        "Drew Barrymore was in the ad the vendor showed us.",
        "Adobe Firefly is banned until Legal finishes its review.",
        "Midjourney images can't go into client decks, says the Brand team.",
    ],
}

# ---------------------------------------------------------------------------------------------------------------
# Templates. Slots with a label: N, N2 (first names), NF (full name), NP (possessive), NL (surname), NN (nickname),
# NLOW, NLOW2 (lower-case first name), H, H2 (handles), E, PH, U, IP, CARD, IBAN, T (study term), O, OF (own names),
# SSN, NINO. Slots without a label: PROD, PROD2, TEAM, DAY, DAY2, MON, MON2, CITY, NUM, YEAR, VER, TIME, DATE, TICKET.
# ---------------------------------------------------------------------------------------------------------------

ID_TEMPLATES = [
    "I asked {N} to review the deck before {DAY}'s meeting.",
    "{N} said the {PROD} rollout went better than expected.",
    "We paired with {N} on the migration to {PROD}.",
    "{NP} team used the prompts I wrote in {MON}.",
    "Honestly, {N} and I did most of the testing ourselves.",
    "My manager, {NF}, wanted weekly updates on the pilot.",
    "I got the numbers from {NF} after the {DAY} sync.",
    "If you need the raw data, ask {N} or email {E}.",
    "You can reach {NF} at {E}.",
    "Send questions to {N} <{E}>, not the shared inbox.",
    "I called {N} on {PH} when the {PROD} export failed.",
    "My desk phone is {PH}, but I'm rarely there.",
    "The vendor's hotline, {PH}, was useless.",
    "Call me on {PH} if the survey needs a follow-up.",
    "{H} set up the {PROD} workspace for us.",
    "Ping {H} in the channel; they know the {PROD} API.",
    "Someone shared {U} in the team channel and it spread from there.",
    "The runbook is at {U} if anyone cares.",
    "Our staging box at {IP} still runs the old model.",
    "I had to allow {IP} before {PROD} would connect.",
    "I pasted a test card, {CARD}, into the form to check the redaction.",
    "The expense tool rejected card {CARD} twice in {MON}.",
    "Please pay the invoice to {IBAN}, the finance team said.",
    "My salary account, {IBAN}, showed up in the bot's log.",
    "Before {T} launched, nobody used AI for forecasting.",
    "The {T} team is the one that tried {PROD} first.",
    "I'm {O}, and I've worked in {TEAM} for four years.",
    "{OF} here, from the {TEAM} team.",
    "Everyone calls me {O}, even the {PROD} bot.",
    "I think {N} is the only person who reads the {PROD} release notes.",
    "{N} told me to stop pasting customer data into {PROD}.",
    "After {N} left, the {TEAM} dashboards broke.",
    "I shared the draft with {N} and {N2}.",
    "{N} and {N2} disagree about whether {PROD} is worth the money.",
    "Without {NF}, the pilot would have died in {MON}.",
    "The best prompt library is {NP}, by far.",
    "{NP} notes from {DAY}'s retro were spot on.",
    "I thanked {N} for the {PROD} training on {DAY}.",
    "{NL} reviewed every output by hand during the pilot.",
    "We escalated to {NL} when the {PROD} bill spiked.",
    "{NN} from {TEAM} built our first chatbot.",
    "I still message {NN} whenever {PROD} acts up.",
    "honestly {NLOW} knows more about this than me",
    "i asked {NLOW} and {NLOW2} but neither had time",
    "cc {H} and {H2} on the thread please",
    "{NF} ({E}) owns the {PROD} contract.",
    "The escalation number for {T} is {PH}.",
    "Contact {NF}, {PH}, for the {T} credentials.",
    "The old wiki page {U} still lists {NF} as the owner.",
    "{N} keeps the {T} roadmap in a {PROD} board.",
    "For {T}, we routed traffic through {IP}.",
    "My US social security number {SSN} was in the HR export, which worried me.",
    "The payroll form asked for my National Insurance number, {NINO}.",
    "We met {NF} in the {CITY} office on {DAY}.",
    "I disagreed with {N}, but the data proved {N} right.",
    "{N}’s onboarding guide for {PROD} is the one everyone uses.",
    "The pilot was {NP} idea, not mine.",
    "Reach {O} directly at {E} if the researchers have questions.",
    "My number is {PH} and my name is {OF}, for the record.",
    "Thanks, {O}",
]

CLEAN_TEMPLATES = [
    "{DAY}'s standup ran long because of the {PROD} outage.",
    "We moved from {PROD} to {PROD2} in {MON}.",
    "The {TEAM} team still exports everything to {PROD}.",
    "May I suggest we drop the {DAY} sync?",
    "Will the {PROD} licences renew before {MON}?",
    "We may grant {TEAM} access to {PROD} next {MON}.",
    "I will mark the {PROD} tickets as done by {DAY}.",
    "Mark the {DAY} session as optional, please.",
    "Grant the {TEAM} team read access and we're fine.",
    "I hope the {PROD} update lands before {MON}.",
    "To be frank, {PROD} was oversold to {TEAM}.",
    "The bill for {PROD} went up {NUM}% in {YEAR}.",
    "In {MON} we ran {NUM} interviews with {PROD}.",
    "AI drafts the {TEAM} newsletter every {DAY} now.",
    "{PROD} and {PROD2} both have AI features we don't use.",
    "The {CITY} office switched to {PROD} in {MON} {YEAR}.",
    "We upgraded {PROD} to version {VER} last {DAY}.",
    "Our {TEAM} lead says {PROD} saves {NUM} hours a week.",
    "The {MON} offsite in {CITY} was mostly about AI.",
    "By {DAY} afternoon, the {PROD} queue was empty again.",
    "Every {DAY} the {TEAM} team reviews what {PROD} got wrong.",
    "Python scripts feed {PROD}, and {PROD2} shows the results.",
    "The {PROD} pilot had {NUM} users by the end of {MON}.",
    "Honestly, {PROD} is the only AI tool {TEAM} trusts.",
    "I asked whether {PROD} stores our prompts in the EU.",
    "Hope you don't mind, but I think {PROD} is overrated.",
    "We will bill {TEAM} for the {PROD} seats from {MON}.",
    "The {TEAM} budget for {YEAR} includes {PROD}.",
    "Our {DAY} demo covered {PROD}, {PROD2} and a bit of SQL.",
    "{MON} was quiet; the {PROD} rollout started in {MON2}.",
    "Standups happen on {DAY} and {DAY2} at {TIME}.",
    "The {TEAM} wiki has a page on {PROD} prompts.",
    "Ticket {TICKET} tracks the {PROD} SSO issue.",
    "We ran the {PROD} training for {NUM} people on {DATE}.",
    "The {MON} numbers from {TEAM} looked better than {MON2}'s.",
    "Sunday evenings I prep the {DAY} agenda in {PROD}.",
    "The AI Act training is due in {MON}, says {TEAM}.",
    "{PROD} crashed twice during {DAY}'s all-hands.",
    "Nobody in {TEAM} has touched {PROD} since {MON}.",
    "The new {PROD} plugin costs {NUM} euros per seat per month.",
    "I will grant you that {PROD} writes better emails than I do.",
    "We may roll {PROD} out to {TEAM} in {MON}, if Legal agrees.",
]

PRODUCTS = """Excel Jira Figma Python Copilot ChatGPT Salesforce Notion Teams Slack Outlook PowerPoint Tableau
GitHub Kubernetes Snowflake Looker Confluence Gemini Claude Zoom Miro SAP Workday ServiceNow HubSpot Databricks
Asana""".split()
PRODUCTS += ["Power BI", "Google Sheets", "Microsoft Word"]
TEAMS = "Finance Legal Platform Design HR Sales Support Marketing Procurement Security Data".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
CITIES = "London Berlin Lyon Madrid Dublin Bangalore Toronto Warsaw".split()
# Nicknames as people write them: (person id, form). Some are not in the directory and need the nickname table.
NICKNAMES = [
    ("p05", "Bill"),
    ("p05", "Billy"),
    ("p14", "Bob"),
    ("p14", "Bobby"),
    ("p15", "Kate"),
    ("p15", "Katie"),
    ("p19", "Chris"),
    ("p23", "Liz"),
    ("p23", "Beth"),
    ("p24", "Sam"),
    ("p26", "Seun"),
    ("p22", "Jim"),
    ("p22", "Jamie"),
]
EMAIL_DOMAINS = ["example.com", "corp.example", "mail.example.org", "example.co.uk", "acme-labs.example"]


@dataclass
class Person:
    id: str
    names: list[str]

    @property
    def first(self) -> str:
        return self.names[2].split()[0] if self.names[2] else self.names[3]

    @property
    def full(self) -> str:
        return self.names[1]

    @property
    def last(self) -> str:
        return self.names[4]

    @property
    def handle(self) -> str:
        return self.names[0]


@dataclass
class Sentence:
    text: str
    participant: str
    study: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    people: set[str] = field(default_factory=set)
    source: str = "hand"


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def phone(rng: random.Random) -> str:
    """Phone numbers in the formats people type, by country."""
    d = lambda n: _digits(rng, n)  # noqa: E731
    formats = [
        lambda: f"+44 20 {d(4)} {d(4)}",
        lambda: f"+44 7{d(3)} {d(6)}",
        lambda: f"020 {d(4)} {d(4)}",
        lambda: f"({rng.randint(201, 989)}) {d(3)}-{d(4)}",
        lambda: f"{rng.randint(201, 989)}-{d(3)}-{d(4)}",
        lambda: f"+1 {rng.randint(201, 989)}-{d(3)}-{d(4)}",
        lambda: f"{rng.randint(201, 989)}.{d(3)}.{d(4)}",
        lambda: f"+49 30 {d(6)}",
        lambda: f"0151 {d(3)} {d(4)}",
        lambda: f"+49 151 {d(7)}",
        lambda: f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"06 {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"+91 9{d(4)} {d(5)}",
        lambda: f"+353 1 {d(3)} {d(4)}",
        lambda: f"+31 20 {d(3)} {d(4)}",
        lambda: f"+55 11 9{d(4)}-{d(4)}",
        lambda: f"+81 3-{d(4)}-{d(4)}",
        lambda: f"+61 2 {d(4)} {d(4)}",
        lambda: f"+48 22 {d(3)} {d(2)} {d(2)}",
    ]
    return rng.choice(formats)()


def card(rng: random.Random) -> str:
    """A card number with a valid Luhn digit, grouped the way it is printed."""
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16)])
    body = prefix + _digits(rng, length - len(prefix) - 1)
    total = 0
    for index, ch in enumerate(reversed(body)):
        digit = int(ch)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    number = body + str((10 - total % 10) % 10)
    separator = rng.choice([" ", "-", ""])
    if length == 15:
        return separator.join([number[:4], number[4:10], number[10:]])
    return separator.join(number[i : i + 4] for i in range(0, 16, 4))


def iban(rng: random.Random) -> str:
    """An IBAN with valid check digits, grouped by four or written compact."""
    country, bban = rng.choice(
        [
            ("DE", _digits(rng, 18)),
            ("GB", rng.choice(["NWBK", "BARC", "WEST", "LOYD"]) + _digits(rng, 14)),
            ("FR", _digits(rng, 23)),
            ("NL", rng.choice(["ABNA", "INGB", "RABO"]) + _digits(rng, 10)),
            ("ES", _digits(rng, 20)),
        ]
    )
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.3:
        return compact
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    while first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    middle = _digits(rng, 6)
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second} {middle[:2]} {middle[2:4]} {middle[4:]} {suffix}"
    return f"{first}{second}{middle}{suffix}"


def url(rng: random.Random) -> str:
    return rng.choice(
        [
            f"https://wiki.example.com/spaces/ENG/pages/{_digits(rng, 5)}",
            f"http://intranet.corp.example/teams/{rng.randint(1, 99)}",
            "www.example.org/roadmap",
            f"https://docs.example.io/guides/prompts?ref={_digits(rng, 4)}#setup",
            f"https://git.example.internal/platform/api/-/merge_requests/{rng.randint(100, 999)}",
            f"https://drive.example.com/file/d/{_digits(rng, 8)}/view",
            "https://example.atlassian.net/browse/OPS-1432",
        ]
    )


def ip(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"2001:db8:{rng.randint(1, 65535):x}::{rng.randint(1, 65535):x}"
    first = rng.choice([10, 172, 192, 203, 198, 52])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def email(rng: random.Random, person: Person) -> str:
    first, last = person.full.split()[0], person.full.split()[-1]
    local = rng.choice([f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last[0]}", person.handle, f"{first}_{last}"])
    local = local.lower().replace("'", "").replace("-", "")
    local = local.translate(str.maketrans("ëéíáóúêöç", "eeiaouaoc"))
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def possessive(name: str, rng: random.Random) -> tuple[str, str]:
    """The name and the ending people type after it."""
    if name.endswith("s"):
        return name, "'"
    return name, rng.choice(["'s", "'s", "’s"])


def parse_markup(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """``{kind:value}`` becomes ``value`` with a label over it."""
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    position = 0
    length = 0
    for match in re.finditer(r"\{(\w+):([^{}]+)\}", text):
        plain = text[position : match.start()]
        out.append(plain)
        length += len(plain)
        value = match.group(2)
        spans.append((length, length + len(value), match.group(1)))
        out.append(value)
        length += len(value)
        position = match.end()
    out.append(text[position:])
    return "".join(out), spans


class Filler:
    """Fills one template; remembers where each labelled value went."""

    def __init__(self, rng: random.Random, people: list[Person], own: Person | None, study_terms: list[str]) -> None:
        self.rng = rng
        self.own = own
        self.terms = study_terms
        self.pool = [p for p in people if own is None or p.id != own.id]
        self.chosen: dict[str, Person] = {}
        self.people: set[str] = set()

    def person(self, slot: str, avoid: set[str]) -> Person:
        if slot not in self.chosen:
            choices = [p for p in self.pool if p.id not in avoid]
            self.chosen[slot] = self.rng.choice(choices)
        self.people.add(self.chosen[slot].id)
        return self.chosen[slot]

    def value(self, slot: str) -> list[tuple[str, str | None]]:
        """Pieces of text, each with its label kind or None."""
        rng = self.rng
        taken = {p.id for s, p in self.chosen.items() if s != slot}
        base = slot.rstrip("2")
        if base in {"N", "NF", "NP", "NL", "NLOW"}:
            return self.name(slot, base, taken)
        if base == "NN":
            pid, form = rng.choice(NICKNAMES)
            self.people.add(pid)
            return [(form, "name")]
        if base == "H":
            return [("@" + self.person(slot, taken).handle, "handle")]
        if base == "E":
            target = self.chosen.get("N") or self.chosen.get("NF") or self.own or self.person("E", taken)
            if self.own is not None and "O" in self.chosen:
                target = self.own
            return [(email(rng, target), "email")]
        if base == "O" or base == "OF":
            assert self.own is not None
            self.chosen["O"] = self.own
            return [(self.own.first if base == "O" else self.own.full, "own_name")]
        makers = {"PH": ("phone", phone), "U": ("url", url), "IP": ("ip", ip), "CARD": ("card", card)}
        makers |= {"IBAN": ("iban", iban), "SSN": ("ssn", ssn), "NINO": ("nino", nino)}
        if base in makers:
            kind, make = makers[base]
            return [(make(rng), kind)]
        if base == "T":
            return [(rng.choice(self.terms), "term")]
        return [(self.plain(base), None)]

    def name(self, slot: str, base: str, taken: set[str]) -> list[tuple[str, str | None]]:
        """A colleague's name in the form the slot asks for."""
        if base == "NLOW":
            pool = [p for p in self.pool if p.first.lower() not in AMBIGUOUS and p.id not in taken]
            chosen = self.chosen.setdefault(slot, self.rng.choice(pool))
            self.people.add(chosen.id)
            return [(chosen.first.lower(), "name")]
        person = self.person(slot, taken)
        if base == "NF":
            return [(person.full, "name")]
        if base == "NL":
            return [(person.last, "name")]
        if base == "NP":
            name, ending = possessive(self.rng.choice([person.first, person.full]), self.rng)
            return [(name, "name"), (ending, None)]
        return [(person.first, "name")]

    def plain(self, base: str) -> str:
        rng = self.rng
        table: dict[str, list[str]] = {
            "PROD": PRODUCTS,
            "TEAM": TEAMS,
            "DAY": DAYS,
            "MON": MONTHS,
            "CITY": CITIES,
            "NUM": [str(n) for n in (3, 12, 15, 40, 120, 250, 1200)],
            "YEAR": ["2023", "2024", "2025", "2026"],
            "VER": ["3.2", "11.4.1", "2.0", "16.0.3", "4.12"],
            "TIME": ["9:30", "10:00", "14:15", "16:45"],
            "DATE": ["2024-03-15", "15/03/2025", "3 June 2025", "2025-11-04"],
            "TICKET": ["OPS-4821", "IT-77310", "SEC-102", "HR-2291"],
        }
        return rng.choice(table[base])


AMBIGUOUS = {"will", "may", "grant", "bill", "hope", "mark", "june", "frank", "grace"}


def fill(template: str, filler: Filler) -> tuple[str, list[tuple[int, int, str]]]:
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    length = 0
    position = 0
    values: dict[str, list[tuple[str, str | None]]] = {}
    for match in re.finditer(r"\{(\w+)\}", template):
        plain = template[position : match.start()]
        out.append(plain)
        length += len(plain)
        slot = match.group(1)
        if slot not in values or slot.startswith(("PH", "E")):
            values[slot] = filler.value(slot)
        for piece, kind in values[slot]:
            if kind is not None:
                spans.append((length, length + len(piece), kind))
            out.append(piece)
            length += len(piece)
        position = match.end()
    out.append(template[position:])
    return "".join(out), spans


def load() -> tuple[list[Person], dict[str, list[str]], dict[str, list[str]]]:
    raw = json.loads((HERE / "people.json").read_text(encoding="utf-8"))
    people = [Person(p["id"], p["names"]) for p in raw["people"]]
    return people, raw["participants"], raw["studies"]


def own_person(people: list[Person], participant: str, names: list[str]) -> Person:
    for person in people:
        if person.full == names[0]:
            return person
    return Person(f"own-{participant}", [names[1], names[0], names[0], names[0].split()[0], names[0].split()[-1]])


def people_in(text: str, spans: list[tuple[int, int, str]], people: list[Person]) -> set[str]:
    """Directory people whose names a hand-written sentence labels (for the record; the whole directory applies)."""
    found: set[str] = set()
    for start, end, kind in spans:
        if kind not in {"name", "handle"}:
            continue
        label = text[start:end].lstrip("@").lower()
        for person in people:
            if any(label == n.lower() or label in n.lower().split() for n in person.names):
                found.add(person.id)
    return found


def build() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    people, participants, studies = load()
    sentences: list[Sentence] = []
    for group, is_clean in ((HAND, False), (CLEAN_HAND, True)):
        for (participant, study), texts in group.items():
            for raw in texts:
                text, spans = parse_markup(raw)
                assert not is_clean or not spans, raw
                sentence = Sentence(text, participant, study, spans, people_in(text, spans, people))
                sentences.append(sentence)
    seen = {s.text for s in sentences}
    keys = list(participants)
    for number, template in enumerate(ID_TEMPLATES + CLEAN_TEMPLATES):
        wanted = PER_ID_TEMPLATE if number < len(ID_TEMPLATES) else PER_CLEAN_TEMPLATE
        made = 0
        for _ in range(50):
            if made == wanted:
                break
            participant = rng.choice(keys)
            with_terms = [s for s, terms in studies.items() if terms]
            study = rng.choice(with_terms if "{T}" in template else list(studies))
            own = own_person(people, participant, participants[participant])
            filler = Filler(rng, people, own, studies[study])
            text, spans = fill(template, filler)
            if text in seen:
                continue
            seen.add(text)
            sentences.append(Sentence(text, participant, study, spans, filler.people, f"template:{number}"))
            made += 1
    rows: list[dict[str, object]] = []
    for index, sentence in enumerate(sentences):
        rows.append(
            {
                "id": f"s{index:04d}",
                "text": sentence.text,
                "people": sorted(sentence.people),
                "own_names": participants[sentence.participant],
                "terms": studies[sentence.study],
                "spans": [list(span) for span in sentence.spans],
                "source": sentence.source,
            }
        )
    return rows


def main() -> None:
    rows = build()
    with (HERE / "sentences.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    clean = sum(1 for r in rows if not r["spans"])
    print(f"{len(rows)} sentences, {clean} clean, {len(ID_TEMPLATES) + len(CLEAN_TEMPLATES)} templates")


if __name__ == "__main__":
    main()
