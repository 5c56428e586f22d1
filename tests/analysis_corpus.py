"""Synthetic delivered interviews of the ai-at-work flow, with planted themes, for testing theme analysis.

``synthetic_set(count, seed)`` builds interviews the way Candor delivers them (``Transcript.to_dict()``):
the introduction and consent (question id ``_intro``, as the engine records them), each question of the
flow with the participant's answer and 0-3 follow-ups (the replies keep the question's id), the closing
question and the thanks. About 10% stop early ("stopped"): two to four questions answered, and the
transcript ends with the question they did not answer.

Every answer is built from one or two *planted themes* (32 across the seven questions, each a pool of
sentence templates, tails and slot values written for this file) plus a little neutral filler, so a
theme-finding analysis can be scored against ``SyntheticSet.planted``. Each question's themes are handed
out by quota over the participants who answered it: every theme reaches at least 8.5% of all
participants, the common ones about 40%. Each participant also gets a department (four, Legal the small
one), and a few themes are more likely in some departments.

Answers are sized so a completed transcript's dataset text (``dataset_text``) is within a few percent
of ``target_chars`` (from about 6,000 characters up; the introduction alone is about 700).

Everything comes from one ``random.Random(seed)``: the same (count, seed, target_chars) gives the same set.
No sentence is taken from a real interview; the templates, fillers and follow-ups are all written here.
"""

from __future__ import annotations

import csv
import functools
import heapq
import io
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.delivery.transcript import Transcript, dataset_text
from bot.engine import texts
from bot.flows import Flow, consent_version, load_flow_file, packaged_flows_dir, privacy_notice
from bot.state.model import CLOSING, INTRO, THANKS, Role, Turn

FLOW: Flow = load_flow_file(packaged_flows_dir() / "ai-at-work.yaml")


@dataclass(frozen=True)
class PlantedTheme:
    id: str  # "<question_id>.<name>"
    question_id: str
    label: str
    keywords: tuple[str, ...]  # words of the theme's own sentences a reader would pick to name it


@dataclass(frozen=True)
class SyntheticSet:
    documents: list[dict[str, Any]]  # Transcript.to_dict(), in transcript id order
    planted: dict[str, dict[str, list[str]]]  # transcript_id -> question_id -> planted theme ids
    themes: list[PlantedTheme]
    attributes: dict[str, dict[str, str]]  # transcript_id -> {"department": ...}


# -- the themes ---------------------------------------------------------------------------------------
#
# One block per theme: "== id", then label, keywords, share (of the participants who answered the
# question), gists (noun phrases a follow-up question can name), "slot NAME:" lists, "- " sentence
# templates, and "+ " tails: clauses of the same theme that may close a sentence ("...; the logs told
# the real story."). A line may continue on the next line ("  " indent). In a template, {name} takes a
# value from the theme's or the shared slots, and [a|b|c] one of the alternatives.

_SHARED_SLOTS: dict[str, tuple[str, ...]] = {
    "tool": (
        "ChatGPT",
        "Copilot",
        "Claude",
        "Gemini",
        "the company assistant",
        "our internal chatbot",
        "the AI",
        "the assistant",
    ),
    "often": (
        "most days",
        "pretty much every day",
        "a few times a week",
        "daily",
        "several times a day",
        "most mornings",
        "at least once a day",
    ),
    "boss": ("my manager", "my boss", "our director", "my team lead", "the head of our department", "my supervisor"),
    "someone": ("a colleague", "someone on my team", "a coworker", "one of the people I sit with", "a teammate"),
}

_THEMES_TEXT = """
== workday.drafting
label: Drafting emails and documents
keywords: draft, wording, tone, rewrite, emails
share: 0.44
gists: drafting emails | getting the tone right in emails | the first drafts
slot doc: emails | replies to customers | status updates | meeting invites | announcements | internal memos |
  follow-up emails | project updates
- Mostly I use {tool} to draft {doc}, then I fix the wording before anything goes out.
- [The biggest one is emails.|Emails, mainly.|Emails are the big one for me.|Number one is emails.] I paste in my
  rough notes and ask for a first draft with a [friendlier|warmer|calmer] tone.
- If I have to write {doc} I'll [usually|normally|nearly always] get a draft from {tool} first, it saves me staring
  at a blank page.
- i use it to rewrite emails when my first version sounds too blunt, the tone is where it helps most
- A lot of my day is writing {doc}, and {tool} gives me a [decent|reasonable|solid] draft that I then rewrite in my
  own words.
- When the wording really matters, like pushing back on a deadline, I ask it to soften the tone a [bit|little|touch].
- I'll type [three|a few|four] bullet points and have it turn them into a proper draft of the emails I need, which
  I edit {often}.
- [Honestly|Really|To be honest] drafting is most of what I use it for: {doc}, the odd report section, anything
  where the wording matters.
- Rewriting long emails so they're shorter and clearer is probably my most common use, I do that {often}.
- It's good at getting the tone right for {doc} when I'm tired and everything I write comes out [grumpy|snippy|curt].
- {often} I'll ask {tool} to check the wording of my emails before I hit send, [just a quick|like a] second pair of
  eyes.
- For {doc} I give it the context and the points I want to make, and it comes back with a draft in [seconds|a few
  seconds|no time].
- I draft the [hard|awkward|tricky] emails with it, the ones where the tone could easily go wrong, and then rewrite
  the parts that don't sound like me.
- Sometimes I ask for [two|three] versions of a draft in different tones and pick the one closest to what I meant.
- the wording of {doc} used to take me ages, now i get a draft and just rewrite the bits that sound off
+ the blank page is what slows me down, not the writing itself
+ the final wording is always mine
+ my emails come out shorter and less defensive that way
+ tone is the part I second-guess the most
+ it probably saves me [twenty minutes|half an hour] of drafting a day
+ nobody has ever noticed, as far as I know
+ I'd never send a draft without reading it through
+ the rewrite usually takes less time than the first draft would have

== workday.summarizing
label: Summarizing long documents and meetings
keywords: summary, summarize, notes, long, skim
share: 0.34
gists: the summaries | summarizing long documents | keeping up with long reading
slot src: long reports | meeting recordings | email threads | policy documents | research papers | call transcripts
  | vendor proposals | long Slack threads
- I use it to summarize {src} so I know whether I actually need to read the whole thing.
- After meetings I drop the notes or the transcript in and ask for a summary with the action items pulled out.
- There's so much to skim every day, {src} mostly, and a short summary first saves me a [lot of time|ton of
  time|good chunk of the morning].
- my main use is summaries, honestly, i get sent long documents and i just don't have the hours to read them properly
- When I come back from [leave|holiday|a week off] I'll have {tool} summarize the long threads I missed, which is a
  lifesaver.
- I ask for a [one paragraph|short|five line] summary of {src} and then skim the original for the parts that look
  important.
- The meeting notes thing is [huge|massive|a big deal] for me: it turns an hour of rambling into a summary I can use.
- {often} I paste in {src} and ask it to summarize the key points in [five|a handful of|three] bullets.
- [It's basically my skim reader.|It's my skim reader, more or less.|I treat it as a skim reader.] Anything long
  lands in {tool} first and I read the summary before deciding.
- I'm in back to back meetings, so I rely on the [automatic|auto] summary and notes from the call tool to catch up
  on the ones I skip.
- A quick summary is where it [earns its keep|really pays off], especially for {src} that are too long to read end
  to end.
- I'll ask it to summarize a long document and tell me what changed since the last version, which is really handy.
- Keeping up with the notes from every project would be impossible without some kind of summary, so that's its main
  job.
- if something is long i don't read it first anymore, i get a summary and skim from there
+ otherwise I'd be reading all evening
+ the summary is usually good enough to decide what to skim properly
+ I still open the long original when something looks important
+ it's the only way I keep up with my notes
+ half of what lands in my inbox is too long to read in full
+ the summary tells me which parts I can safely skip
+ it catches the action items I'd miss on a skim
+ I check the summary against the notes when it really matters

== workday.coding
label: Writing and debugging code
keywords: code, script, bug, sql, function, python
share: 0.20
gists: the coding help | writing scripts with it | using it to find bugs
slot lang: Python | SQL | JavaScript | Bash | PowerShell | TypeScript | Go
slot thing: a query | a small script | a unit test | a regex | a migration | a helper function | a data cleanup script
- I write code most of the day, and {tool} sits in my editor suggesting the next few lines as I type.
- If I need {thing} in {lang} I'll describe it and let {tool} write a first version of the function.
- Mostly coding stuff: explaining an error in a function, finding the bug, writing boilerplate code I can't be
  bothered with.
- i use it for sql a lot, our schema is a mess and it helps me write the joins [faster|quicker]
- For quick scripts in {lang} it's [brilliant|great|really good], I'd say it writes [most|half|60 percent] of the
  code and I fix the rest.
- When a bug makes no sense I paste the function into {tool} and ask what it thinks is going on.
- {often} I have it write {thing}, code that used to take me half an hour of looking up syntax.
- I lean on it for {lang} code because I only write that once a month and always forget the syntax.
- [Code review prep, mainly.|Mostly prep for code review.|A lot of code review prep.] I ask it to look over my
  changes for obvious bugs before a human sees the code.
- It's useful for tests: I give it a function and ask for edge cases my code doesn't cover yet.
- Automating boring stuff with a little Python script is where it shines, like renaming files or cleaning up a CSV
  export.
- Writing SQL for reports used to be a chore, now I describe the result I want and tweak the query it gives me.
- I'll ask it to translate code from {lang} to another language and then test the script properly.
- most of my use is code, a function here, a script there, and the occasional bug hunt when i'm stuck
+ I still read every line of the code before it goes anywhere
+ it gets the boring parts of the script out of the way
+ the bug is usually somewhere I wasn't looking
+ the SQL it writes is fine for small queries, less so for big ones
+ it's like autocomplete for a whole function
+ it saves me a lot of trips to the docs
+ I'd be slower without it, mostly on the fiddly code
+ the tests catch what the suggestions get wrong

== workday.research
label: Looking things up and researching
keywords: research, search, explain, sources, google
share: 0.28
gists: using it for research | asking it to explain things | checking the sources it gives you
slot topic: a regulation I haven't dealt with before | a competitor's product | a technical term | a new market |
  an industry standard | a tax rule | an acronym from a contract | a supplier I don't know
- I use it instead of a search engine a lot now, when I need to understand {topic} quickly.
- [Research is the main thing.|Mainly research.|For me it's research, first and foremost.] I ask it to explain
  {topic} and then check the sources it points me to.
- It's replaced Google for the first step of research for me, I just ask the question in plain English.
- when something comes up in a meeting that i don't understand i quietly ask it to explain lol
- I do a lot of background research for projects and {tool} gets me oriented before I dig into proper sources.
- If someone mentions {topic} I'll ask it to explain the basics so I don't sound clueless in the next meeting.
- {often} I'm using it like a search engine that actually answers, though I still [double check|verify] the sources.
- It's good at explaining things at the right level, like {topic}, where a Google search gives me ten ads and a
  forum post.
- For research I ask for an overview plus where I could read more, then I go and check the sources myself.
- I ask it to compare options when I'm doing research, say two vendors, and explain the tradeoffs in a table.
- Quick questions mostly: what does this acronym mean, explain this clause, that kind of research, {often}.
- Before I start anything new I do a bit of research with it, just to get the vocabulary and the main sources.
- it's my first stop when i need to research something, google second, colleagues third
- I treat it as a research assistant that can explain {topic} in two minutes, but I never quote it without sources.
+ I treat it as a starting point, not the answer
+ the sources are what I actually trust
+ it's faster than wading through Google results
+ it can explain things without making me feel stupid
+ I still verify anything important against proper sources
+ the research part of my job used to take much longer
+ it's good at the explain-it-like-I'm-new version
+ it gives me the right words to search for next

== workday.rarely
label: Rarely or never uses AI
keywords: rarely, hardly, barely, habit
share: 0.12
gists: not using it much | why it hasn't become a habit | the few times you do try it
slot gap: knowledge of our customers | context about our internal systems | judgement about local conditions |
  access to our records | a feel for the people involved
- [Honestly, I rarely use it.|I rarely use it, to be honest.|Rarely, if I'm honest.] [Maybe once a week|Once a week
  at most|A couple of times a month], if I remember it exists.
- I barely touch it during a normal day, most of my work [happens|lives] in systems it can't see anyway.
- It hardly comes into my day at all, I've tried it a few times but it never became a habit.
- [rarely tbh.|rarely, tbh.|rarely to be honest.|barely tbh.] my job is mostly on the phone and on site, there's
  not much for it to do
- [I never really got into the habit.|The habit never really stuck for me.|I never made a habit of it.] When I
  tried, it took longer to explain the task than to just do it.
- [I'd say hardly ever.|Hardly ever, I'd say.|Hardly ever, honestly.] I know people who use it all day but I'm not
  one of them.
- If I'm honest it barely [features|shows up], maybe I ask it something once or twice a month.
- I rarely reach for it, mostly because what I do needs {gap}, which it doesn't have.
- [It's not a habit yet.|It hasn't become a habit yet.|Not a habit, not yet anyway.] I keep meaning to try it more,
  but by the time I think of it I've already done the task.
- Hardly at all, which I know sounds [old fashioned|a bit behind], but my work doesn't involve much writing.
- I used it a lot in the first month and then it [just dropped off|faded], now I rarely open it.
- Rarely on purpose, really, mostly when it pops up inside another tool and I click it by accident.
- [My honest answer is barely.|Barely, is the honest answer.|Honestly? Barely.] I'm curious about it, I just
  haven't found where it fits in my day.
- i hardly use it, the habit never stuck, and nobody has shown me where it would actually save time
+ it just never became part of my routine
+ I honestly forget it's there most days
+ I'm not against it, it just hasn't found a place
+ the habit never formed
+ most days I never open it at all
+ the work I do is hardly the kind it helps with
+ I barely think about it, to be honest
+ maybe that will change, but rarely is the honest answer for now

== walkthrough.data_analysis
label: Analysing a spreadsheet or data set
keywords: spreadsheet, formula, excel, pivot, chart
share: 0.30
gists: the spreadsheet work | checking the formula | working with the numbers
slot data: our monthly sales figures | a survey export | ticket volumes by team | the budget tracker | inventory
  counts | the hiring pipeline numbers | overtime hours per site
- Last week I had a spreadsheet of {data} and needed a formula to flag anything that changed by more than ten percent.
- I described the columns to {tool}, it gave me an Excel formula, the first one was wrong, the second one worked.
- I asked it how to build a pivot table from {data}, followed the steps, and then made the chart myself.
- It helped me clean up a messy spreadsheet, splitting names and dates into proper columns, which would have taken
  me [ages|hours|all afternoon].
- the formula it gave me looked right but it was off by one row, so i checked a few cells by hand before trusting it
- I pasted a sample of {data} and asked what the trends were, then built the chart in Excel to confirm it.
- The bit where I took over was the pivot, it kept suggesting fields that didn't exist in my spreadsheet.
- Start to finish maybe [forty minutes|an hour|half a morning]: explain the data, get a formula, test it, fix it,
  make the chart.
- I'm not an Excel person, so having it explain what each part of a nested formula does was the real win.
- It suggested which chart would show {data} best, and I went with its second idea because the first was cluttered.
- I asked for a formula to match two spreadsheets on an ID column, and it walked me through a lookup step by step.
- At the end I checked the totals against the pivot table, because I wasn't going to send numbers I hadn't verified.
- The task was a quarterly report on {data}; the AI did the formula grunt work and I did the interpretation.
- we had {data} in three different excel files, it helped me merge them into one spreadsheet and build a pivot
+ the formula was the fiddly part
+ the spreadsheet had about [five|ten] thousand rows
+ the chart was what my manager actually wanted to see
+ I'd never have figured out that pivot on my own
+ Excel does the maths, but I needed help knowing what to ask it
+ I checked the totals by hand at the end
+ the pivot table saved me from counting things manually
+ the formula needed two tries before it worked

== walkthrough.presentation
label: Building a presentation or slide deck
keywords: slides, deck, presentation, outline, audience
share: 0.26
gists: building the deck | the outline it gave you | preparing for the audience
slot event: a client pitch | our quarterly review | an all-hands update | a training session | a board meeting | a
  team offsite | a conference talk
- I had to put together a deck for {event}, so I asked {tool} for an outline first and then filled in the slides
  myself.
- It gave me a structure for the presentation in about a minute, [ten|eight|twelve] slides with a title and three
  points each.
- I told it who the audience was and what I wanted them to take away, and it drafted [talking points|a few talking
  points|notes] for each slide.
- the outline was fine but way too generic, so i rewrote most of the slides once i saw the shape of it
- For {event} I had the content already but no story, so I asked it to reorder my slides into something that flows.
- It was good at cutting text down, my slides always have too many words and it turned them into short headlines.
- I asked for image ideas for the deck too, most were [cheesy|awful|clichéd], but a couple were useful.
- Then I did a dry run and asked it what questions the audience might ask, which helped me prepare answers.
- Start to finish it was maybe [two|three] hours for a presentation that usually takes me a full day.
- The last step was mine: I went through every slide of the deck and made sure the numbers and claims were actually
  right.
- I gave it last year's deck and asked for an updated outline for {event}, then swapped in the new figures.
- It wrote a decent opening for the presentation, which is always the part I get stuck on.
- I used it to turn a long document into slides, one key message per slide, for {event}.
- the deck for {event} went from blank to a rough outline in ten minutes, then i spent the afternoon on the slides
+ the outline was the useful part
+ the slides still needed a lot of my own work
+ the audience was senior, so every slide had to earn its place
+ it saved me the blank-deck feeling
+ I rewrote the headlines on most slides
+ the presentation went fine in the end
+ the deck ended up half the length of my first version
+ it helped me think about what the audience actually cared about

== walkthrough.debugging
label: Troubleshooting a technical error
keywords: error, logs, troubleshooting, config, fix
share: 0.20
gists: the troubleshooting | working out the error | the fix you landed on
slot system: our CI pipeline | a docker container | the payroll integration | the CRM sync | a build that kept
  failing | our website's contact form | the reporting database | a scheduled job
- Something broke in {system} and I pasted the error message into {tool} to see what it made of it.
- It suggested three likely causes, the second one was right, it was a typo in a config file.
- We went back and forth through the logs: I'd paste a chunk, it would tell me what to look for next.
- i gave it the error and the config and it found the problem faster than our own docs would have
- The troubleshooting took about an hour, where I think on my own it would have been most of an afternoon.
- At one point it told me to change a setting that doesn't exist in our version, so I had to work out that fix myself.
- I asked it to explain what each line of the logs meant, and that's when I spotted the timeout.
- Once we had the fix I asked it to write up what happened, so the next person troubleshooting {system} has notes.
- The error only showed up in production, so I described the setup and it helped me narrow down which config differed.
- My approach was to describe the symptoms first, then paste the logs, then try its suggestions one at a time.
- It didn't solve it outright, but it got me asking the right questions, and the fix turned out to be a permissions
  thing.
- I checked every command it gave me before running it, because a wrong fix in {system} could take things down.
- troubleshooting {system} with it felt like pairing with someone who has read every forum post but never seen our
  setup
- The logs were huge, so I asked it to pick out the first real error, and that pointed straight at a bad config value.
+ the error message alone wasn't enough
+ the logs told the real story
+ the fix was one line in the end
+ the config was the last place I would have looked
+ troubleshooting alone would have taken me much longer
+ I tested the fix on a copy first
+ the logs were the key, once I knew what to look for
+ the error hasn't come back since

== walkthrough.iteration
label: Many rounds of prompting and correcting
keywords: prompt, rounds, iterate, corrected, rephrase
share: 0.40
gists: the back and forth | rephrasing the prompt | correcting it along the way
- [It took quite a few rounds.|It took a lot of rounds.|That one took several rounds.|Lots of rounds, honestly.] My
  first prompt was [too vague|far too vague|way too short], so the answer was [generic|bland|useless] and I had to
  rephrase it.
- I'd say the real work was iterating on the prompt, adding context each round until it understood what I meant.
- It got it wrong the first time, I corrected it, it apologised and got a different thing wrong, [classic|typical].
- after [three|four|five] rounds i had something usable, but i rewrote maybe a third of it by hand
- I've learned to write a much longer prompt up front, with an example of what good looks like, which cuts the
  rounds down.
- Every time I corrected one part it would quietly change another part, so I had to keep checking the whole thing.
- The back and forth is the part people don't talk about; it's not one prompt, it's a conversation where you iterate.
- I ended up starting a fresh chat because after [ten|a dozen|too many] rounds it was going in circles.
- I rephrase the prompt a lot, and breaking the task into smaller steps usually works better than one big ask.
- It was quicker overall, but only because I knew exactly what I wanted and could spot when it needed to be corrected.
- My process is prompt, look at the output, correct it, iterate, until I'm at maybe 80 percent, then I take over.
- At one point I pasted back its own answer and asked [what was wrong with it|it to find the problem|where the
  mistake was], and it corrected itself.
- [It needed a lot of iterating.|There was a lot of iterating.|It took plenty of iterating.] [Good in the end|It
  got there in the end|The result was fine], but I wouldn't call all those rounds a time saver that day.
- honestly most of the time went into the prompt, i must have rephrased it [six|seven|eight] times before it clicked
+ the first prompt is never the one that works
+ each round got a bit closer
+ I corrected it more times than I'd like to admit
+ the rephrase is usually where it clicks
+ you have to iterate, there's no way around it
+ by the last round I knew exactly what to ask
+ it took more rounds than doing it by hand would have
+ the prompt ended up three times as long as where I started

== walkthrough.translation
label: Translating content into another language
keywords: translate, translation, language, native, fluent
share: 0.11
gists: the translation | checking the translation | working across languages
slot lang: German | Spanish | French | Portuguese | Japanese | Polish | Dutch
slot text: a product guide | a customer letter | our onboarding material | a contract summary | a help page | a survey
- I had to translate {text} into {lang} for a partner, so I ran it through {tool} first.
- The translation was mostly good, but a native speaker on our team caught a few phrases that sounded stiff.
- I don't speak the language at all, which made me nervous, so I had a native colleague check it before it went out.
- i asked it to translate into {lang} and then back to english, to see if the meaning survived the round trip
- It handled the technical terms in the translation better than the old tool we used, which surprised me.
- The tricky bit was tone: in {lang} the formal and informal forms matter, and I had to tell it which language
  register to use.
- From start to finish the translation took an afternoon instead of waiting [two weeks|ten days] for the agency.
- I'm fluent enough in {lang} to spot mistakes but too slow to write it, so it does the first translation and I fix
  it.
- The translation kept changing our product names, which you're not supposed to do, so I listed words to leave alone.
- We sent the translation to a native speaker anyway, but their edits were small.
- I used it to translate {text} into {lang} and plain language at the same time, because the original was dense.
- What I learned is that translation with AI is fast, but you still need someone fluent to sign it off.
- My {lang} is rusty, so I wrote the reply in English, asked it to translate, and read it slowly to check.
- the whole job was a translation of {text}, and a fluent colleague reviewed it line by line at the end
+ the translation was about eighty percent there
+ a native speaker still had the last word
+ the language was too formal in places
+ I'm not fluent, so I couldn't judge it myself
+ the translation saved us weeks
+ the native reviewer only changed a few phrases
+ language is more than words, and it doesn't always get that
+ fluent speakers would spot the stiff bits straight away

== kept_for_self.people_decisions
label: Final judgement on hiring and people decisions
keywords: hiring, candidates, performance, judgement, decisions
share: 0.38
gists: keeping people decisions to yourself | the hiring side | decisions about people
slot decision: who we hire | promotions | performance ratings | who gets which project | letting someone go | pay
  rises
- [Anything about people stays with me.|People stuff stays with me.|Anything to do with people, I keep.] {decision}
  is a judgement call, and I'm the one who has to stand behind it.
- I'd never let it screen candidates for hiring, it can't see what makes someone a good fit for our team.
- [Performance reviews I write myself.|I write performance reviews myself.|Performance reviews are mine to write.]
  It's someone's livelihood, they deserve my own judgement, not a generated paragraph.
- [hiring decisions, definitely.|hiring decisions for sure.|definitely hiring decisions.] i might use it to tidy a
  job ad but [the shortlist|choosing between candidates|the final call on candidates] is all me
- When it comes to {decision}, the judgement is mine: I want to explain my reasoning to the person, and I can't do
  that with AI in the loop.
- [I keep feedback conversations human.|Feedback conversations stay human.|Feedback is something I keep human.] If
  someone's performance isn't where it should be, telling them is my job.
- The judgement part of interviewing candidates, reading how people answer and what they leave out, I don't think a
  tool should do that.
- There's a fairness issue with {decision}. I don't trust it not to carry over bias into people decisions.
- I manage [five|six|eight] people and everything about them, performance reviews, development, {decision}, I do
  without AI.
- People decisions need context it will never have, like someone going through a rough year at home.
- I tried asking it to help rank candidates once and felt uncomfortable, like handing off a judgement that's mine.
- My rule is that anything that ends up in someone's file, performance notes or hiring scores, is judged by me.
- Writing a reference or a performance note, I do it myself because the words carry weight for that person.
- anything to do with {decision} or hiring is my judgement, full stop, people deserve that
+ people deserve a human judgement
+ hiring is too important to hand off
+ candidates are more than their CV
+ performance conversations need context a tool doesn't have
+ the judgement has to be mine if I'm accountable for it
+ people would be right to be upset otherwise
+ I wouldn't want my own performance review written by a chatbot
+ hiring mistakes are expensive and personal

== kept_for_self.creative_voice
label: Creative writing in their own voice
keywords: voice, creative, style, bland, personal
share: 0.32
gists: keeping your own voice | the creative work | that personal style
slot piece: blog posts | speeches | newsletter intros | product stories | campaign ideas | the team newsletter |
  LinkedIn posts
- [Anything creative I keep.|I keep anything creative.|Creative work stays with me.] When it writes {piece}
  everything comes out bland, like it's been through a committee.
- I want my writing to sound like me, and my voice is the one thing I don't want to outsource.
- The creative part of my job is the part I like, coming up with ideas for {piece}, so I protect that.
- its style is so recognisable now, people can tell, and i'd rather my stuff sound personal even if it's a bit rough
- I tried having it write {piece} and it was technically fine but bland, no personality, so I went back to my own
  voice.
- Brainstorming maybe, but the final creative work, the voice and the choices, that's mine.
- There's a personal touch in {piece} that readers notice, and the AI version always flattens it into something bland.
- I keep my own style because that's partly why people read what I write in the first place.
- It's not that it's bad, it's that it's average, and creative work that's average is basically invisible.
- My voice took me years to develop, I'm not going to let it get sanded down into something bland.
- For {piece} I write the first version by hand, literally sometimes, because that's where the creative ideas come
  from.
- I'll let it check spelling, but the creative decisions, structure, jokes, the personal bits, stay with me.
- Anything with my name on it that's meant to have a voice, I write myself, [no exceptions|every time].
- {piece} are personal, my style is the whole point, so the creative side stays with me
+ my voice is the point
+ bland writing is worse than no writing
+ the style is what people recognise
+ creative work needs a bit of risk
+ it always sounds a little too smooth
+ the personal bits are what people remember
+ everything it writes has the same voice
+ creative choices are the fun part anyway

== kept_for_self.client_relationships
label: Client relationships and conversations
keywords: client, relationship, calls, rapport, trust
share: 0.26
gists: the client relationships | the client side | building rapport
slot clients: clients | customers | key accounts | partners | donors | suppliers
- Anything client facing that's about the relationship stays with me, the calls, the check-ins, the awkward
  conversations.
- My {clients} know me, it's a relationship, and they'd notice straight away if my messages suddenly sounded like a
  template.
- [Building rapport is the job.|Rapport is the whole job.|The job is building rapport.] If I hand that to a tool,
  I'm not really doing my job any more.
- [calls with clients are all me.|client calls are all me.|the calls with clients are mine.] i might prep with it
  beforehand but the conversation itself is human
- When there's a problem with an account I pick up the phone, because trust is rebuilt on calls, not in polished
  emails.
- I keep the relationship side personal: remembering someone's kid started school, that kind of thing matters to
  {clients}.
- I've had {clients} tell me they appreciate that I write to them myself, so I'm not changing that part of the
  relationship.
- [Negotiations especially.|Especially negotiations.|Negotiations, above all.] Reading the room on a call with a
  client is not something I'd trust to AI.
- The relationship is years of trust, and one generic message could undo a lot of that rapport.
- I'll use it for the paperwork around a client, but not for anything where they'd expect to hear from me personally.
- Our {clients} pay for a person who knows them, so the relationship bits stay human.
- Small talk at the start of calls, remembering what they said last time, that's where rapport comes from and it's
  mine.
- If a client is upset I want them to feel heard by a real person, so those replies I always write myself.
- the client relationship is built on trust and [years|a long history] of calls, i'm not handing that to a chatbot
+ the client relationship is built over years
+ rapport can't be generated
+ calls are where the trust gets built
+ a client can tell when something's a template
+ trust takes years and one bad message to lose
+ the relationship is really what they're paying for
+ calls are where I learn what's actually going on
+ rapport comes from small details

== kept_for_self.confidential
label: Confidential or sensitive information
keywords: confidential, sensitive, paste, privacy, contracts
share: 0.24
gists: keeping confidential material out | the privacy side | what you won't paste in
slot secret: salary data | contracts | health information | customer records | unreleased financials | legal cases
  | employee files
- [Anything confidential stays out of it.|Confidential stuff stays out.|Nothing confidential goes in.] I won't
  paste {secret} into a chat window, full stop.
- I'm careful with sensitive material, and I'm never fully sure where the data goes once I paste it in.
- We handle {secret}, so privacy is a big deal and I do that work without AI even if it would be quicker.
- contracts and anything with names in it i do by hand, the privacy risk isn't worth the time saved
- I'd rather spend an extra hour than explain to legal why confidential {secret} ended up on some external server.
- Even with the approved tool I keep sensitive stuff out, I just don't know enough about how it's stored.
- The rule in my head is simple: if it's confidential, I don't paste it anywhere I don't control.
- Reviewing contracts is exactly where AI could help, and exactly where I don't use it, because it's confidential.
- I anonymise things before I paste anything, and if I can't, I just do the sensitive work myself.
- [Privacy is the line for me.|For me, privacy is the line.|Privacy is where I draw the line.] Anything like
  {secret} is other people's information, and it's not mine to feed into a model.
- We signed confidentiality terms with partners, so putting their material into AI would break the contracts.
- I've seen people paste sensitive stuff without thinking, which makes me extra careful myself.
- Anything touching {secret} I handle the slow way, because the privacy risk is real.
- {secret} and contracts are confidential, so i keep them out of any AI tool, even the internal one
+ confidential means confidential
+ privacy isn't something I want to gamble with
+ I can't paste what isn't mine to share
+ the contracts we sign say as much
+ sensitive data needs to stay where it belongs
+ the privacy risk outweighs the time saved
+ nobody wants to explain a leak to legal
+ I'd rather be slow than careless with sensitive material

== kept_for_self.enjoyment
label: Tasks they enjoy doing themselves
keywords: enjoy, fun, satisfying, love, puzzle
share: 0.14
gists: the parts you enjoy | keeping the fun bits | that satisfaction
slot task: solving a tricky problem | designing things from scratch | planning a project | writing the first
  version of something | untangling a messy process | working through a hard analysis
- The parts I enjoy, honestly. {task} is the fun bit of my job and I don't want to give that away.
- I love {task}, and if AI did it for me I'd just be left with the boring parts.
- Some work is satisfying precisely because it's hard, and I keep that for myself because I enjoy it.
- [the puzzle part.|the puzzle side of it.|the puzzle bit, for sure.] working out why something doesn't add up is
  the reason i love this job
- If a task is fun I do it by hand, even when I know the AI would be faster.
- I enjoy {task}, it's like a puzzle, and the satisfaction comes from getting there myself.
- There's a satisfying feeling when something clicks after an hour of thinking, and I'd miss that.
- [Why would I automate the part I love?|Why automate the part I love?|I don't see why I'd automate the bit I
  love.] I'd rather it took the admin so I get more time for {task}.
- It's not about quality, it's that I enjoy doing it, and work would be duller without it.
- I keep the fun bits, simple as that: {task}, sketching ideas, anything that feels like play.
- A lot of my job satisfaction comes from the puzzle side, and that's exactly what I protect.
- I'd say I keep the stuff I love doing, and give it the stuff I'd procrastinate on.
- Doing it myself is half the fun, so {task} stays human.
- i enjoy {task} too much to hand it over, it's the most satisfying part of the week
+ it's the fun part of the job
+ I enjoy the struggle a bit
+ it's satisfying in a way nothing else at work is
+ I'd miss the puzzle
+ I love that moment when it finally makes sense
+ the fun would go out of the job otherwise
+ that's the part I actually enjoy
+ it's the most satisfying thing I do all week

== colleagues_culture.encouraged
label: Management actively encourages AI use
keywords: leadership, manager, encouraged, push, adoption
share: 0.28
gists: the push from leadership | being encouraged by your manager | how leadership promotes it
- [Leadership is very keen.|Leadership is really keen on it.|Our leadership is all in.] There's a push from the top
  to use it everywhere, [they even track adoption now|adoption is even tracked now|and now they track adoption].
- We're actively encouraged by {boss}, who shares examples in team meetings of how she's used it.
- We're encouraged to try it on everything, there was a whole training day about it last [quarter|spring|year].
- honestly there's a bit too much push from leadership, every meeting someone asks how we're using AI
- My manager asks in one to ones whether I've tried AI on a task, which makes it feel expected.
- The message from leadership is clear: use it or fall behind, and adoption is part of our goals now.
- It's encouraged, and the licence is paid for, so my manager sees no reason for anyone not to use it.
- {boss} set up a small competition for the best time-saving idea, which was a nice push and got people experimenting.
- Because the push comes from leadership, people feel safe saying they use it, which I think helps adoption.
- I'd say the culture is positive: my manager uses it openly and that sets the tone for all of us.
- There's pressure too, though, the push for adoption sometimes comes before anyone has checked it fits the work.
- Our director talks about it at every all-hands, so it's clearly encouraged at the highest level of leadership.
- When {boss} started sharing prompts, everyone else felt encouraged to try it too.
- adoption is basically a leadership priority here, we get nudged by our manager every week
+ leadership wants the adoption numbers to go up
+ my manager brings it up all the time
+ we're encouraged to share what works
+ the push is pretty constant
+ adoption is on everyone's goals this year
+ it's hard to ignore when leadership is that keen
+ my manager leads by example on it
+ being encouraged makes it easier to experiment

== colleagues_culture.stigma
label: Quiet stigma, so people hide their use
keywords: lazy, cheating, judged, admit, hide
share: 0.30
gists: not admitting you use it | that fear of being judged | people hiding it
- [People use it, but nobody really admits it.|Everyone uses it and nobody admits it.|People do use it, they just
  don't admit it.] There's a feeling that it's a bit like cheating.
- I don't mention it much, I worry I'd be judged as lazy if people knew how much I rely on it.
- Some of the senior folks see it as cheating, so I hide it and just present the finished work.
- theres definitely a stigma, if you admit you used AI people assume you didn't do the real work
- I've heard colleagues make jokes about people who are lazy and let AI do everything, so I keep quiet.
- Nobody's ever told me not to, but you can feel people would judge you if you admitted it in a meeting.
- [It's a bit of an open secret.|It's an open secret, really.|Open secret, I'd call it.] Everyone uses it, nobody
  will admit it, and we all pretend not to notice.
- I once said a draft came from AI and the reaction was lukewarm, so now I don't admit it unless asked.
- I think people hide it because they're worried it makes their work look less valuable, or lazy.
- There's a weird double standard where using it for code is fine, but using it for writing is seen as lazy.
- I feel a bit guilty, like I'm cheating, even though the result is my responsibility either way.
- {someone} got teased for a message that sounded like a chatbot, and since then people hide their use better.
- The unwritten rule is use it, but don't talk about it, because you might be judged.
- i hide it a bit honestly, nobody wants to be the lazy one who admits it wrote their report
+ nobody wants to look lazy
+ it's like admitting you cheated on your homework
+ people are worried about being judged
+ I hide it more than I'd like to
+ nobody will admit to it in a meeting
+ the stigma is real even if nobody says it
+ being judged as lazy is the fear
+ it's easier to hide it than explain it

== colleagues_culture.policy
label: Official policy and approved tools
keywords: policy, approved, security, guidelines, compliance
share: 0.40
gists: the official policy | the approved tool | the security rules
- We have an official policy that says only the approved tool, and IT security blocks the rest.
- The guidelines are strict because of compliance, so I only use the approved version with the company login.
- Our policy came out last year: no customer data, no confidential documents, everything through the approved tool.
- security blocked most of the public ones so we only have the approved one, which is kind of limited
- Compliance reviews anything new, so we wait months for a tool to be approved, and people get impatient.
- I follow the guidelines, but honestly not everyone does, and the policy isn't really enforced.
- There's an approved list, and the security team sends reminders whenever a new tool gets popular.
- The policy shapes what I do more than my colleagues do, because breaking it could get you in real trouble.
- We had to do a compliance module before we got access, about what you can and can't put in.
- The guidelines are vague, so in practice each team has its own interpretation of the policy.
- Because of the security rules, I can't use it on anything with client names, which rules out a lot.
- Our industry is heavily regulated, so compliance drives everything, AI included, and the policy reflects that.
- I checked the policy before using it on anything real, and I'd say most of my team followed the guidelines too.
- the approved tool is the only one allowed by policy, security made that very clear in [onboarding|the rollout]
+ the policy is pretty clear
+ security has the final say
+ the approved tool is all we're allowed
+ the guidelines change every few months
+ compliance is taken seriously here
+ nobody wants to break the policy
+ the security team is strict about it
+ the guidelines are the first thing anyone mentions

== colleagues_culture.sharing_tips
label: Colleagues sharing prompts and tips
keywords: tips, prompts, channel, share, tricks
share: 0.20
gists: sharing prompts | swapping tips | learning tricks from colleagues
- There's a channel where people share prompts that worked, and I've picked up [loads of|lots of|plenty of] tricks
  there.
- My team is pretty open, we share tips in standup, like "I tried this and it saved me an hour".
- {someone} showed me how to set up reusable prompts, and now I share them with the rest of the team.
- we have a lunch and learn every month where someone demos a trick they found, lots of good tips
- I learned most of what I know from colleagues sharing their prompts rather than any official training.
- We keep a shared document of prompts for common tasks, which new starters get on day one.
- People post wins and fails in the channel, and the fails are often the most useful tips.
- [It's very peer driven here.|Here it's all peer driven.|It's driven by peers more than anything.] Someone finds a
  trick, shares it, and a week later everyone is doing it.
- I've become the unofficial person people ask for tips, which I didn't plan, but I like to share.
- {someone} and I compare prompts over coffee, it's become a bit of a hobby.
- The tips channel has a few hundred people in it now, so there's always a new trick to try.
- When I find a good prompt I share it, because I've benefited so much from other people's tricks.
- The culture is collaborative, people share what works rather than keeping their tricks to themselves.
- there's a prompts channel that's honestly the most useful place for tips, people share stuff daily
+ the tips channel is busy every day
+ people share prompts all the time
+ I've picked up most of my tricks that way
+ it's very much a share-what-works culture
+ the best tips come from colleagues, not training
+ someone always has a new trick to share
+ the prompts channel is where I learn the most
+ sharing tips has become normal

== colleagues_culture.skeptics
label: A divide between enthusiasts and skeptics
keywords: skeptical, skeptics, divide, resist, hype
share: 0.12
gists: the skeptics on your team | that divide | people resisting it
- [There's a real divide.|There's a clear divide.|It's quite a divide.] Half the team is enthusiastic and the other
  half is very skeptical of the hype.
- Some of the longer-serving colleagues resist it, they've seen a lot of hype come and go and they're waiting this
  one out.
- My team is mostly skeptical, so I'm a bit of an outlier and I don't push it on anyone.
- the skeptics on my team point out every mistake it makes, which keeps the rest of us honest tbh
- I'd say people resist it more than they let on, and the word hype comes up a lot in meetings.
- The divide isn't really about age, it's about whether your work is writing-heavy or not.
- {boss} is openly skeptical, which means the team doesn't really use it, or at least doesn't say so.
- There's a group who think it's all hype and a group who think it's magic, and I'm somewhere in the middle.
- A couple of colleagues actively resist, they say it makes people sloppy, and the skeptics might have a point.
- Being around skeptical people has made me more careful about checking its output.
- It's split along the lines of who has tried it properly and who has only read the hype.
- The skeptics have softened a bit over the past year, but there's still a divide in how we work.
- Some people resist because they see it as a threat, and that colours every conversation about it.
- there's a divide between the hype crowd and the skeptics, and i'm stuck in the middle
+ the skeptics aren't wrong about everything
+ there's a lot of hype to cut through
+ the divide is pretty visible
+ some people resist on principle
+ the skeptical ones ask good questions
+ the hype makes the skeptics even more skeptical
+ the divide shows up in every team meeting
+ people resist what they haven't tried

== memorable_moment.hallucination
label: A confident answer that was made up
keywords: invented, fake, citation, confidently, checked
share: 0.42
gists: it making things up | it being confidently wrong | how you checked it
slot fact: last year's market size | a competitor's headcount | a tax threshold | our own product's limits | an
  industry benchmark | a shipping regulation
- It once gave me a citation for a study that doesn't exist, completely invented, with authors and a year and
  everything.
- [What stuck with me was how confidently wrong it was.|The thing I remember is how confidently wrong it was.|It
  was so confidently wrong, that's what stuck.] It quoted [a regulation number|a clause number|a case reference]
  that turned out to be fake.
- I asked for sources and it invented [three|two|four] of them, the links went nowhere, and I only noticed because
  I checked.
- it confidently told me a feature existed in our software and i spent [an hour|ages|half a day] looking for it
  before i realised it was invented
- [The memorable one was a report where it invented a statistic.|One time it invented a statistic in a report.|I
  remember a report where it simply invented a statistic.] It sounded so plausible I nearly used it before I checked.
- It made up a quote from a real person, a fake quote, which could have been really bad if I hadn't checked it.
- I checked a citation it gave me and the paper was real, but it said the opposite of what the AI claimed.
- [That moment changed how I use it.|It changed how I use it after that.|After that, I used it differently.] Now I
  assume [anything specific|any detail|every number] might be invented until I've checked it.
- It confidently gave me a number for {fact}, and when I asked where it came from, it admitted it had no source.
- {someone} nearly sent a partner a fake case reference that AI had invented, and we caught it in review.
- The scary part wasn't the mistake, it was how confidently it was presented, with no hedging at all.
- I [laughed|was amused] at first when I spotted the fake citation, then I got worried about all the times I hadn't
  checked.
- It invented a whole section of a standard we follow, and it read exactly like the real thing.
- the fake citation thing, it confidently made up a source for {fact} and i only checked by luck
+ it was completely invented
+ the citation looked perfectly real
+ it was so confidently wrong
+ I only found out because I checked
+ the fake source even had a real-looking link
+ I've checked everything twice ever since
+ it invented details with total confidence
+ the fake part was indistinguishable from the real part

== memorable_moment.deadline_save
label: It saved them under a tight deadline
keywords: deadline, saved, hours, crunch, night
share: 0.36
gists: that deadline | how it saved you | the crunch
- The night before a big deadline I had a report half done, and it saved me, I got it finished by midnight.
- We had a crunch week with three deadlines at once, and without it I'd have missed at least one.
- A last-minute request from {boss} landed at four on a Friday, and it saved me, two hours instead of a whole evening.
- honestly it saved my skin once, a proposal was due in the morning and i'd completely forgotten about the deadline
- [I remember feeling actual relief.|I remember the relief.|The relief was real.] [The deadline was hours away|We
  had hours, not days], and it got me from a blank page to a [solid|usable|decent] draft.
- It saved maybe [five|six|seven] hours on a deadline that I would otherwise have spent working late into the night.
- During a crunch at quarter end it did the boring formatting so I could focus on the numbers that mattered.
- I was covering for a sick colleague with a deadline the next day, and it helped me get up to speed overnight.
- The memorable bit was finishing on time for once, without the usual late night before a deadline.
- It saved a launch: the documentation was due in hours and we were [short two people|down two people|missing half
  the team].
- When the deadline moved forward a week with no warning, that's when I really saw what it could do in a crunch.
- I still think about that night, the deck was due at nine and I sent it at half eight, thanks largely to AI.
- It turned what would have been a weekend of work before the deadline into a few focused hours.
- the crunch before our audit, it saved me hours every night for about a week
+ the deadline was hours away
+ it saved my night
+ the crunch was real
+ I'd have missed the deadline otherwise
+ it saved hours I didn't have
+ that night could have gone very differently
+ the crunch would have been much worse
+ the deadline didn't move, so something had to give

== memorable_moment.embarrassment
label: An embarrassing mistake that others noticed
keywords: embarrassed, mistake, noticed, apologise, mortified
share: 0.22
gists: that mistake | how embarrassed you felt | what happened after the mistake
slot who: the client | my boss | the whole team | our director | a customer | the recipient
- I sent an email it had drafted without reading it closely, and it mentioned [a meeting that never happened|a
  discount we never offered|a deadline nobody agreed to]. {who} noticed.
- [I was so embarrassed.|I was really embarrassed.|So embarrassed, honestly.] It had changed a name in the summary,
  and the person it was about noticed straight away.
- The worst was a mistake in a document I shared widely, I had to apologise to a room full of people.
- i was mortified, it left a line in the email that said something like insert example here and {who} saw it
- {who} noticed the mistake before I did, which was the embarrassing part, not the mistake itself.
- I had to send a correction and apologise, and I've been much more careful ever since.
- It wasn't a huge mistake, but I felt embarrassed because it was obvious I hadn't checked its work.
- The wording had an awkward phrase that was almost rude, and {who} noticed, which was mortifying.
- {boss} noticed the numbers in my summary didn't match the source, and I had no good excuse for the mistake.
- I was mortified, and I had to apologise in person, which at least showed I took it seriously.
- That mistake taught me that my name is on it, whoever or whatever wrote the first draft, and I still feel
  embarrassed.
- It was the kind of mistake that gets noticed in the first line, a wrong date in an invitation to two hundred people.
- I still cringe thinking about it, I had to apologise to {who} for something I hadn't even written myself.
- [so embarrassing|so awkward], {who} noticed the mistake in the first paragraph and i had to apologise
+ I was mortified
+ the mistake was obvious the moment someone noticed
+ I had to apologise properly
+ I felt embarrassed for days
+ it was a silly mistake, and it was mine
+ everyone noticed, of course
+ I apologise less now because I check more
+ the embarrassed feeling stays with you

== memorable_moment.confidence
label: A boost in confidence with writing
keywords: confidence, english, dyslexia, nervous, grammar
share: 0.14
gists: that boost in confidence | feeling surer of your writing | feeling less nervous
slot tongue: Spanish | Hindi | Portuguese | Polish | Arabic | Mandarin | Italian | Tagalog
- English isn't my first language, and the first time it fixed my grammar without changing my meaning I felt a lot
  more confident.
- I have dyslexia, and for [years|a long time|most of my career] writing at work made me nervous. That changed when
  I started checking things with it.
- What stayed with me was sending a long email to senior people and not being nervous about the grammar for once.
- i'm dyslexic and it's honestly been a confidence thing more than a time thing
- It helped me write a difficult message in English that I'd been putting off for days because I was nervous.
- The moment I remember is presenting a proposal I'd written with its help and having confidence in every sentence.
- My confidence in meetings went up because I could prepare what I wanted to say and check the English first.
- As someone with dyslexia I used to ask colleagues to proofread, and now I don't have to, which is a big deal.
- It's a small thing, but not being nervous about grammar has changed how often I speak up in writing.
- I write in English all day even though I think in {tongue}, and it takes away a lot of the nervous second-guessing.
- The memorable part was {boss} saying my reports had got much clearer, which gave me real confidence.
- It never makes me feel stupid about my grammar, which, with dyslexia, some people have.
- For me it's been about confidence, I'm less nervous sending things to people I don't know.
- my english grammar was always my weak spot, having it check things gave me confidence i didn't have before
+ my confidence has gone up a lot
+ I'm far less nervous about writing
+ the grammar worries mostly went away
+ English is my second language, so that matters
+ dyslexia made writing stressful before
+ I feel more confident speaking up now
+ the nervous feeling before sending things is mostly gone
+ it's a confidence thing more than anything

== own_skills.practice_without
label: Deliberately doing tasks without AI
keywords: manually, practice, deliberately, rusty, scratch
share: 0.34
gists: doing things manually | not getting rusty | that practice habit
slot skill: mental arithmetic | writing from scratch | reading documentation | structuring an argument | debugging
  by hand | proofreading | building a plan
- I deliberately do some tasks manually every week, just so I don't get rusty.
- Once a week I write something from scratch without any help, as practice.
- I'll solve a problem myself first and only then compare with what the AI says, that keeps the practice going.
- i make a point of doing the hard stuff manually sometimes, like {skill}, because i can feel myself getting rusty
- I deliberately turn the suggestions off for a day now and then, it's humbling how rusty I've got.
- My rule is that I have to be able to do it manually before I let the AI do it, otherwise I can't check its work.
- I practice the fundamentals, {skill} especially, without help, because that's what I'd need if the tools went down.
- It's a bit like going to the gym: I deliberately do things the slow way so the skill doesn't fade.
- I noticed I'd got rusty at {skill}, so now I do that manually on purpose.
- For anything new I start from scratch myself, and only bring AI in once I understand the task.
- I keep a practice habit, one piece of work a week done entirely manually, no assistance.
- Deliberately struggling a bit is good for me, so I don't reach for the AI the second something is hard.
- I write my own first version from scratch before asking for suggestions, that way the practice and the thinking
  stay mine.
- {skill} i do manually on purpose now, every couple of weeks, as practice so i don't go rusty
+ I don't want to get rusty
+ doing it manually keeps me sharp
+ practice is the only thing that works
+ I start from scratch on purpose
+ it's deliberately inefficient
+ rusty skills are hard to get back
+ manual practice is my insurance
+ I deliberately keep some things slow

== own_skills.courses
label: Taking courses and formal training
keywords: course, certification, workshop, training, module
share: 0.16
gists: the course you're doing | the training | the formal learning
slot subject: statistics | project management | UX writing | cloud architecture | data analysis | employment law |
  accounting
- I'm doing an online course on using AI properly, a couple of hours a week.
- The company offered a certification, and I signed up because I want to understand what's going on under the hood.
- I went to a workshop on prompting last month, which was more useful than I expected.
- im halfway through a training course on {subject}, partly because i think that's where things are heading
- I've done the internal training modules, and I'm looking at an external certification next year.
- I'm taking a course in {subject} so I'm not just relying on the AI to know things for me.
- Our team did a workshop together, and now we have a follow-up training session every quarter.
- I booked myself on a certification in {subject}, because I want skills that don't depend on a tool.
- There's a good free course I'm working through in the evenings, one module at a time.
- [Formal training mostly.|Mostly formal training.|Proper training, mainly.] I like having a structure, so a course
  with deadlines suits me.
- The workshop on AI risks was the most useful training I've had, it changed how much I trust the output.
- I put training on my development plan this year, a course in {subject} and one on AI tools.
- I learn best in a workshop with other people, so I go to whatever training is on offer.
- doing a {subject} certification at the moment, one module a week, slow but steady
+ the course has been worth it
+ the certification gives me structure
+ the workshop was hands-on, which helped
+ training is on my plan this year
+ one module a week is manageable
+ the course makes me think, which I need
+ a certification also helps on my CV
+ the training was better than I expected

== own_skills.learn_with_ai
label: Using AI as a tutor to learn
keywords: tutor, quiz, teach, learning, explain
share: 0.26
gists: using it as a tutor | learning with it | asking it to teach you
slot subject: statistics | project management | UX writing | cloud architecture | data analysis | employment law |
  accounting
- [I use it as a tutor, honestly.|Honestly, it's my tutor.|I treat it like a tutor.] When I don't understand
  something I ask it to teach me, not just give me the answer.
- I ask it to quiz me on things I'm learning, which is oddly effective.
- Instead of asking for the solution I ask it to explain the steps, so I'm learning as I go.
- i tell it to act like a tutor and not give me the answer straight away, it's like having a patient teacher
- I've learned more about {subject} in six months with AI than in years of half-reading articles, it's real learning.
- When it gives me code or a formula I ask it to teach me why it works, line by line.
- [It's a learning tool for me as much as a work tool.|For me it's a learning tool as much as a work tool.|I see it
  as a learning tool, not only a work tool.] I ask it to explain until I understand.
- I had it quiz me before an exam for work, and I passed, so I'd call that a win.
- I ask it to explain things at different levels, beginner first and then more detail, which helps my learning.
- Having a tutor available at eleven at night when I'm stuck has really sped up my learning.
- I'm using it on purpose to teach me {subject}, with little exercises that it checks.
- My approach is to ask it to explain its reasoning, because otherwise I'm just copying, not learning.
- I use it like a tutor that never gets tired of my questions, which my colleagues probably appreciate.
- it's been teaching me {subject}, i ask it to quiz me on the weekend and explain what i got wrong
+ it's like having a tutor on call
+ learning this way sticks better
+ the quiz questions are surprisingly good
+ it can teach at whatever pace I need
+ I ask it to explain rather than answer
+ learning with it feels less intimidating
+ a patient tutor makes a big difference
+ I make it teach me instead of doing it for me

== own_skills.worry_dependence
label: Worry about dependence and losing skills
keywords: dependent, crutch, worried, forget, atrophy
share: 0.42
gists: becoming dependent on it | that worry over losing skills | using it as a crutch
slot skill: mental arithmetic | writing from scratch | reading documentation | structuring an argument | spelling |
  proofreading | building a plan
- [I'm a bit worried I'm becoming dependent on it.|I worry I'm getting dependent on it.|I'm worried I'm too
  dependent on it already.] I noticed I couldn't write [a simple email|a short note|a basic reply] without opening
  it first.
- It's turning into a crutch and I know it, which is why I've started paying attention.
- My worry is that I'll forget how to do things I used to be good at, {skill} for example.
- honestly i'm worried, newer people on the team have never done some of this without AI and that scares me a bit
- I think skills atrophy if you don't use them, and I can already feel it with {skill}.
- I'm worried that if the tool disappeared tomorrow I'd be slower than I was two years ago.
- It's a crutch for me with {skill}, and I'm trying to be honest with myself about that.
- People talk about productivity but nobody talks about what we forget when we stop doing things ourselves.
- [The dependence creeps up on you.|Dependence sneaks up on you.|You become dependent without noticing.] At first
  it's a helper, then one day you're dependent and can't start without it.
- I do worry about atrophy, especially for new starters who never build the skill in the first place.
- I'm not doing much about it, but I'm worried, and I think noticing is the first step.
- My brain feels lazier, I forget details I used to carry around because I know I can just ask.
- Being dependent on a tool I don't control worries me, for my own skills and for the team.
- it's become a crutch if i'm honest, i'm worried i'll forget how to do {skill} without it
+ I'm worried it's becoming a crutch
+ I already forget things I used to know
+ skills atrophy faster than you'd think
+ being dependent on it worries me
+ the crutch is comfortable, which is the problem
+ I'm worried I won't notice until it's too late
+ forgetting how to do the basics scares me
+ I'm more dependent than I'd like

== looking_ahead.agents
label: AI agents handling whole workflows
keywords: agents, automate, workflows, autonomous, automated
share: 0.34
gists: agents taking over workflows | automating whole processes | the autonomous side
slot process: the monthly reporting | invoice matching | ticket triage | onboarding paperwork | scheduling |
  regression testing | expense approvals
- I expect agents to handle whole workflows, like taking a request, pulling the data and drafting the reply, with
  me approving at the end.
- In a year or two I think a lot of the repetitive workflows will be fully automated, end to end.
- My guess is we'll have autonomous agents running {process} while we just check the exceptions.
- i think it'll go from chat to agents that actually do things in our systems, book stuff, file stuff, update stuff
- The next step is to automate the whole chain, not just one task, so I'd like to see {process} run on its own.
- I'm expecting agents that can work across our tools, rather than me copying and pasting between them.
- We're already testing an agent for {process}, and if it works, that will change a lot of workflows.
- [More autonomous stuff, I think.|More autonomous, I'd guess.|Something more autonomous.] Instead of asking it to
  write something, I'll ask it to get something done.
- I'd love to automate the entire admin side of my job, the workflows nobody enjoys.
- The shift will be from tools you talk to, to agents that act on your behalf, with all the risks that brings.
- I think half my week is workflows that could be automated once the agents are reliable enough.
- Give it two years and I suspect {process} will be automated, with people only stepping in when something breaks.
- Agents will do the legwork and I'll set the direction, at least that's the optimistic version.
- {process} is the obvious one to automate, i'd bet on autonomous agents doing it within two years
+ agents will handle the repetitive workflows
+ most of the workflows could be automated
+ the autonomous part is what I'm watching
+ I'd be the one approving, not doing
+ the agents will need a lot of guardrails
+ automating the boring workflows would be a relief
+ autonomous agents feel like the next step
+ whole workflows, not single tasks

== looking_ahead.job_worry
label: Worry about jobs and roles shrinking
keywords: replaced, layoffs, junior, headcount, jobs
share: 0.30
gists: the worry over jobs | the junior roles | the pressure on jobs
- [Honestly I'm worried about jobs.|I'm worried about jobs, honestly.|Jobs worry me, to be honest.] If it keeps
  improving, fewer people will be needed for what my team does.
- I think the junior roles will shrink first, which worries me because that's how people learn the job.
- There's talk of headcount freezes already, and AI is clearly part of the reasoning.
- i don't think i'll be replaced but i think there'll be fewer of us, and that's not a fun thought
- We've had layoffs in other departments, and people quietly wonder if AI was part of the decision.
- I'm not sure my role will exist in the same form, parts of it could easily be replaced.
- The worry is less about me and more about the junior people[, where do they get their first jobs?|: where are
  they supposed to get their first jobs?|, and where their first jobs will come from.]
- Leadership says it's about productivity, not headcount, but people don't fully believe that.
- If one person with AI can do the work of three, I know what finance will conclude about headcount.
- A lot of entry level jobs in my field are exactly the tasks it's good at, so I'd expect those junior roles to go.
- [I'm cautiously worried.|Cautiously worried, I'd say.|A little worried, I'll admit.] Not about being replaced
  next year, but about the slow squeeze on jobs over five.
- I've started thinking about what would stop me being replaced, which I never used to do.
- The layoffs at other companies that blamed AI have made everyone here a bit jumpy about their jobs.
- headcount is the elephant in the room, nobody says replaced out loud but the layoffs speak for themselves
+ jobs will change, and some will go
+ the junior roles worry me most
+ headcount is the quiet conversation
+ layoffs have already started elsewhere
+ some of us will be replaced
+ I worry about the jobs more than the tech
+ junior people need somewhere to start
+ the headcount question isn't going away

== looking_ahead.oversight
label: Role shifting to reviewing AI output
keywords: reviewing, editor, oversight, checking, quality
share: 0.40
gists: reviewing its output | being more of an editor | the oversight role
- I think my job will shift to reviewing what the AI produces, more editor than author.
- [Less doing, more checking.|More checking, less doing.|Less making, more checking.] I'll be the quality control
  at the end of the line.
- I expect to spend most of my time reviewing output and signing off, which is a different skill from writing it.
- probably more oversight, like i become the person doing the checking before anything goes out
- My role will look more like an editor: setting direction, then reviewing and fixing the AI's work.
- Someone has to own the quality, and I think that becomes the main part of the job.
- The risk is that reviewing gets boring and people stop checking properly, so oversight needs to be designed in.
- I see myself as an editor in a couple of years, with the first drafts all coming from AI.
- [There'll be a lot more checking.|Much more checking, I expect.|A lot more checking, for sure.] The volume of
  output will go up, and reviewing it is where the human time goes.
- Good oversight will matter more than good prompting, I think, and so will quality.
- I'd like the checking to be easier, like the AI flagging where it's unsure so I know what needs reviewing.
- [Quality will be the differentiator.|Quality becomes the thing that sets you apart.|The differentiator will be
  quality.] Anyone can generate stuff; the value is in reviewing it properly.
- The job becomes judgement and oversight, which I'm fine with as long as we get time to do the checking properly.
- i'll be an editor more than a writer, reviewing and checking quality all day probably
+ reviewing will be most of the job
+ I'll be more editor than writer
+ oversight will matter a lot
+ quality will be on me
+ checking is a skill in itself
+ the reviewing will need proper time
+ quality control becomes the job
+ an editor's eye will be worth more

== looking_ahead.integrated
label: AI built into every tool, invisible
keywords: integrated, invisible, background, spellcheck
share: 0.13
gists: it being built in everywhere | it disappearing in the background | the integrated tools
slot app: our CRM | the ticketing system | email | our spreadsheets | the intranet | the HR system | the project
  tracker
- I think it'll be integrated into every tool we use, to the point where we stop calling it AI.
- [It'll be invisible, like spellcheck.|Like spellcheck, it'll be invisible.|I think it'll go invisible, like
  spellcheck.] Nobody says they used spellcheck on an email.
- I expect it running in the background of everything, {app} included, without me opening a separate window.
- i reckon it'll be everywhere and kind of boring, integrated into {app} and just part of how things work
- The separate chat window will go away, and it'll be integrated into the apps we already live in.
- In two years it'll be as normal as spellcheck, running quietly in the background.
- I think we'll stop noticing it, it'll be invisible, baked into {app} and everywhere else.
- [More integrated, less of a destination.|Less of a destination, more integrated.|More integrated, and less of a
  separate place you go.] You won't go to the AI, it'll come to you in whatever you're doing.
- It'll be integrated everywhere, like search became, and nobody will mention it in interviews like this.
- My hope is that it's integrated well, in the background, not popping up with suggestions nobody asked for.
- The big change will be it knowing our own documents and systems, integrated rather than generic.
- Like spellcheck or autocomplete, it'll just be there, invisible, and we'll only notice when it's missing.
- I expect it to sit in the background of {app}, suggesting the next step before I ask.
- invisible is my guess, like spellcheck, integrated into {app} so you don't even think about it
+ it'll be integrated into everything
+ invisible, like spellcheck
+ it'll just run in the background
+ it'll be everywhere without anyone noticing
+ integrated tools will make it boring, in a good way
+ nobody will call it AI anymore
+ it'll sit in the background of every app
+ spellcheck is the comparison I keep coming back to

"""

# Sentences that carry no theme: the hedges and asides real answers are padded with.
_FILLERS = (
    "Honestly it depends on the week.",
    "It varies a lot, to be fair.",
    "That's probably the main thing.",
    "I hope that makes sense.",
    "Not sure if that's the kind of answer you were after.",
    "So yeah, that's roughly where I am.",
    "I haven't thought about it in those terms before.",
    "Hard to say exactly.",
    "It's a bit of a mixed picture, really.",
    "Some weeks are different, but that's the general pattern.",
    "Others here might tell you something different.",
    "I could go on, but that's the gist.",
    "That's the short version anyway.",
    "Things were different when I started here.",
    "It's hard to generalise.",
    "That's my experience, at least.",
    "Anyway, I'm rambling a bit.",
    "It's been an interesting year, put it that way.",
    "i guess that's it really",
    "idk, it's hard to say",
    "Maybe that's just me.",
    "I go back and forth on it.",
    "Not much more to add on that bit.",
    "Does that answer it?",
    "It really depends on what's going on that day.",
    "I'm probably not typical.",
    "There's no single answer.",
    "That's about as honest as I can be.",
    "Sorry, that went on a bit.",
    "Funny how quickly things change.",
    "Ask me again in six months and I might say something else.",
    "It's not something I've discussed with anyone before.",
    "Some days more, some days less.",
    "I'm still figuring it out, to be honest.",
    "That probably sounds more organised than it is.",
)
# A reply to a follow-up may start with one of these (it counts as that answer's filler).
_OPENERS = ("Sure.", "Yeah.", "Good question.", "Hmm.", "Okay.", "Right.", "Let me think.", "Ah, yes.", "Well.")
_CONSENTS = (
    "Yes, let's start",
    "Yes, let's start.",
    "Yes",
    "yes",
    "Yes, happy to.",
    "Sure, go ahead.",
    "Yes, let's begin.",
    "ok yes",
    "Yep, ready.",
    "Sounds good, yes.",
    "Yes please",
    "yes that's fine",
)
_CLOSINGS = (
    "No, I think that covers it.",
    "Nothing else, thanks.",
    "Not really, I think I've said most of it.",
    "No, that's everything from me.",
    "nope, thanks!",
    "Only that I'm glad someone is asking about this.",
    "I think that's all. Thanks for asking.",
    "No, all good.",
    "Nothing more from me, thank you.",
    "no thats it",
    "I think I've covered everything, thanks.",
    "Just that it's changing fast, so I'd be curious to see the results.",
)
# What the interviewer says before moving on to the next question.
_LEADS = (
    "",
    "",
    "Thank you.",
    "Thanks, that's helpful.",
    "That's really useful, thank you.",
    "Got it, thanks.",
    "Thanks for explaining.",
    "I appreciate the detail.",
    "Thank you, that gives me a clear picture.",
)
# Follow-ups: "{gist}" names one of the answer's themes. None of them may read like a guide question
# (tests/test_analysis_corpus.py checks that the dataset reader still files replies under the right one).
_FOLLOW_UP_OPENINGS = (
    "You mentioned {gist}.",
    "Could we stay with {gist} for a bit?",
    "Going back to {gist} for a second.",
    "That's interesting, especially {gist}.",
    "Thanks. You brought up {gist}.",
)
_FOLLOW_UP_ASKS = (
    "Could you walk me through an example?",
    "What got that going?",
    "What makes that matter to you?",
    "How do you feel about it?",
    "What does that involve in practice?",
    "Why is that, would you say?",
    "Has that changed over the past few months?",
    "What is behind that, for you?",
)
_FOLLOW_UP_PLAIN = (
    "Could you say a bit more about that?",
    "Can you give me a specific example?",
    "Why is that, would you say?",
    "Can you tell me more?",
    "What makes you say that?",
    "Could you expand on that a little?",
)
_FIRST_PREFIXES = ("Honestly, ", "To be honest, ", "Well, ", "So, ", "Yeah, ", "Okay, so ", "Right, so ")
_NEXT_PREFIXES = ("Also, ", "And ", "Plus, ", "On top of that, ", "Oh, and ", "Honestly, ", "I mean, ")
# Clauses that close a sentence of any theme.
_SUFFIXES = (
    ", to be honest",
    ", if that makes sense",
    " these days",
    ", more or less",
    ", I'd say",
    ", really",
    ", at least in my team",
    ", which surprised me at first",
    ", more often than not",
    ", for what it's worth",
    ", at least most of the time",
    ", but that's just my experience",
    ", for better or worse",
    ", as far as I can tell",
)
_TAIL_JOINS = ("; ", " - ", ", and ", " — ", ", and honestly ")

# Everyday words a participant may put differently (never a theme's keyword), and contractions that
# always stand for the same words ("I'd" and "it's" do not: "I'd got", "it's been").
_REWORDINGS: dict[str, tuple[str, ...]] = {
    "a lot": ("a lot", "loads", "a great deal"),
    "usually": ("usually", "normally", "typically", "generally"),
    "probably": ("probably", "likely", "most likely"),
    "maybe": ("maybe", "perhaps"),
    "honestly": ("honestly", "frankly", "truthfully"),
    "because": ("because", "since"),
    "I think": ("I think", "I reckon", "I feel like", "I'd say"),
    "huge": ("huge", "massive", "enormous"),
    "useful": ("useful", "helpful", "handy"),
    "colleagues": ("colleagues", "coworkers", "people at work"),
    "colleague": ("colleague", "coworker"),
    "mostly": ("mostly", "mainly", "largely"),
    "mainly": ("mainly", "mostly", "primarily"),
    "often": ("often", "frequently"),
    "nearly": ("nearly", "almost"),
    "almost": ("almost", "nearly"),
    "straight away": ("straight away", "right away", "immediately"),
    "pretty much": ("pretty much", "more or less", "basically"),
    "basically": ("basically", "essentially"),
    "boring": ("boring", "tedious", "dull"),
    "things": ("things", "stuff"),
    "really": ("really", "genuinely"),
    "team": ("team", "group"),
    "quickly": ("quickly", "fast"),
    "a couple of": ("a couple of", "two or three"),
    "difficult": ("difficult", "hard", "tough"),
    "obvious": ("obvious", "clear"),
    "the whole thing": ("the whole thing", "all of it"),
    "properly": ("properly", "carefully"),
    "stuff": ("stuff", "things"),
    "ages": ("ages", "forever"),
    "whole": ("whole", "entire"),
    "just": ("just", "simply"),
    "sometimes": ("sometimes", "now and then", "at times"),
    "last week": ("last week", "the other week", "recently"),
    "definitely": ("definitely", "certainly", "for sure"),
    "especially": ("especially", "particularly"),
    "completely": ("completely", "totally", "entirely"),
    "simple": ("simple", "straightforward"),
    "faster": ("faster", "quicker"),
    "to be honest": ("to be honest", "honestly", "if I'm honest", "tbh"),
    "kind of": ("kind of", "sort of"),
    "I guess": ("I guess", "I suppose"),
    "I suspect": ("I suspect", "I imagine"),
    "anyway": ("anyway", "anyhow"),
    "nobody": ("nobody", "no one"),
    "everyone": ("everyone", "everybody"),
    "I'm": ("I'm", "I am"),
    "don't": ("don't", "do not"),
    "I've": ("I've", "I have"),
    "can't": ("can't", "cannot"),
    "won't": ("won't", "will not"),
    "doesn't": ("doesn't", "does not"),
    "isn't": ("isn't", "is not"),
    "I'll": ("I'll", "I will"),
    "didn't": ("didn't", "did not"),
    "we're": ("we're", "we are"),
    "it'll": ("it'll", "it will"),
}
_REWORDING = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _REWORDINGS), key=len, reverse=True)) + r")\b")

# Departments: (name, share). Uneven, and Legal is the small one.
DEPARTMENTS: tuple[tuple[str, float], ...] = (
    ("Engineering", 0.40),
    ("Operations", 0.30),
    ("Sales", 0.22),
    ("Legal", 0.08),
)
# How much more (or less) likely a theme is in a department than elsewhere.
_AFFINITY: dict[str, dict[str, float]] = {
    "Engineering": {
        "workday.coding": 3.0,
        "walkthrough.debugging": 3.0,
        "own_skills.practice_without": 1.5,
        "looking_ahead.agents": 1.6,
        "kept_for_self.client_relationships": 0.5,
    },
    "Operations": {
        "workday.summarizing": 1.6,
        "walkthrough.data_analysis": 1.8,
        "colleagues_culture.encouraged": 1.5,
        "workday.coding": 0.5,
    },
    "Sales": {
        "workday.drafting": 1.6,
        "kept_for_self.client_relationships": 2.5,
        "walkthrough.presentation": 2.0,
        "memorable_moment.embarrassment": 1.5,
        "workday.coding": 0.3,
        "walkthrough.debugging": 0.4,
    },
    "Legal": {
        "kept_for_self.confidential": 3.0,
        "colleagues_culture.policy": 2.0,
        "memorable_moment.hallucination": 1.8,
        "workday.research": 1.8,
        "workday.coding": 0.2,
        "walkthrough.debugging": 0.3,
    },
}
# Relative answer length per question: stories run longer than the opening question.
_QUESTION_WEIGHT = {
    "workday": 1.0,
    "walkthrough": 1.35,
    "kept_for_self": 1.0,
    "colleagues_culture": 1.0,
    "memorable_moment": 1.2,
    "own_skills": 0.9,
    "looking_ahead": 0.95,
}
MIN_SHARE = 0.085  # every theme reaches at least this share of all participants
_STOPPED_SHARE = 0.1
_FOLLOW_UP_CHANCES = (0.3, 0.45, 0.2, 0.05)  # 0, 1, 2 or 3 follow-ups, capped by the flow
_FIRST_DAY = datetime(2025, 3, 3, tzinfo=UTC).timestamp()  # a Monday


# -- templates ---------------------------------------------------------------------------------------

_PIECE = re.compile(r"\{(\w+)\}|\[([^\[\]]*)\]")
# A template is a sequence of literal text, alternatives (a tuple of strings), or a slot name (a 1-list).
_Part = str | tuple[str, ...] | list[str]
# How often a participant repeats a slot value they used before (the same tool, the same language...).
_STICKY = {"tool": 0.75, "often": 0.3, "boss": 0.6, "someone": 0.3}
_THEME_STICKY = 0.85


def _compile(template: str) -> list[_Part]:
    parts: list[_Part] = []
    at = 0
    for match in _PIECE.finditer(template):
        if match.start() > at:
            parts.append(template[at : match.start()])
        if match.group(1) is not None:
            parts.append([match.group(1)])
        else:
            parts.append(tuple(match.group(2).split("|")))
        at = match.end()
    if at < len(template):
        parts.append(template[at:])
    return parts


@dataclass(frozen=True)
class _Theme:
    theme: PlantedTheme
    share: float
    gists: tuple[str, ...]
    slots: dict[str, tuple[str, ...]]
    templates: tuple[list[_Part], ...]
    tails: tuple[list[_Part], ...]

    def tail(self, index: int, rng: random.Random) -> str:
        return "".join(p if isinstance(p, str) else rng.choice(p) for p in self.tails[index] if not isinstance(p, list))

    def sentence(self, index: int, rng: random.Random, memory: dict[str, str]) -> str:
        """Template ``index`` filled in; ``memory`` keeps one participant's earlier slot values."""
        out = []
        for part in self.templates[index]:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, tuple):
                out.append(rng.choice(part))
            else:
                name = part[0]
                key = name if name in _SHARED_SLOTS else f"{self.theme.id}.{name}"
                value = memory.get(key)
                if value is None or rng.random() >= _STICKY.get(name, _THEME_STICKY):
                    value = memory[key] = rng.choice(self.slots[name])
                starts = not out or out[-1].endswith((". ", "? ", "! "))
                out.append(value[:1].upper() + value[1:] if starts else value)
        return "".join(out)


def _parse_themes(text: str) -> list[_Theme]:
    blocks: list[dict[str, Any]] = []
    for raw in text.strip().splitlines():
        line = raw.rstrip()
        if not line:
            continue
        if line.startswith("== "):
            blocks.append({"id": line[3:].strip(), "templates": [], "tails": [], "slots": {}, "last": None})
            continue
        block = blocks[-1]
        if line.startswith("  "):  # continues the last template or slot line
            kind, key = block["last"]
            if kind in ("templates", "tails"):
                block[kind][-1] += " " + line.strip()
            else:
                block["slots"][key] += " " + line.strip()
        elif line.startswith(("- ", "+ ")):
            kind = "templates" if line[0] == "-" else "tails"
            block[kind].append(line[2:].strip())
            block["last"] = (kind, None)
        elif line.startswith("slot "):
            name, _, values = line[5:].partition(":")
            block["slots"][name.strip()] = values.strip()
            block["last"] = ("slot", name.strip())
        else:
            key, _, value = line.partition(":")
            block[key.strip()] = value.strip()
    themes = []
    for block in blocks:
        slots = {**_SHARED_SLOTS, **{k: tuple(v.strip() for v in s.split("|")) for k, s in block["slots"].items()}}
        themes.append(
            _Theme(
                theme=PlantedTheme(
                    id=block["id"],
                    question_id=block["id"].split(".")[0],
                    label=block["label"],
                    keywords=tuple(k.strip() for k in block["keywords"].split(",")),
                ),
                share=float(block["share"]),
                gists=tuple(g.strip() for g in block["gists"].split("|")),
                slots=slots,
                templates=tuple(_compile(t) for t in block["templates"]),
                tails=tuple(_compile(t) for t in block["tails"]),
            )
        )
    return themes


_THEMES: list[_Theme] = _parse_themes(_THEMES_TEXT)
_BY_ID = {t.theme.id: t for t in _THEMES}
_BY_QUESTION: dict[str, list[_Theme]] = {}
for _t in _THEMES:
    _BY_QUESTION.setdefault(_t.theme.question_id, []).append(_t)
THEMES: list[PlantedTheme] = [t.theme for t in _THEMES]
_PROTECTED_WORD = re.compile("|".join(sorted({k for t in THEMES for k in t.keywords})))
# Words that keep their capital when a prefix ("Honestly, ") goes in front of them: names, "I", "AI".
_KEEP_CAPITAL = frozenset(
    {"I", "I'm", "I've", "I'll", "I'd", "AI", "IT", "English", "Excel", "SQL", "Google", "Python", "CSV"}
    | {w for t in _THEMES for values in t.slots.values() for v in values for w in v.split()[1:] if w[:1].isupper()}
    | {v.split()[0] for t in _THEMES for values in t.slots.values() for v in values if v[:1].isupper()}
)
_SENTENCE_CHARS = 105  # about the mean length of a filled-in theme sentence
_FILLER_CHARS = 35


# -- who says what -----------------------------------------------------------------------------------


def _departments(count: int, rng: random.Random) -> list[str]:
    counts = [round(share * count) for _, share in DEPARTMENTS]
    counts[0] += count - sum(counts)
    names = [name for (name, _), n in zip(DEPARTMENTS, counts, strict=True) for _ in range(max(0, n))]
    names = names[:count]
    rng.shuffle(names)
    return names


def _quota(themes: Sequence[_Theme], answering: int, total: int) -> dict[str, int]:
    """How many of the ``answering`` participants get each theme, so that each gets one or two."""
    floor = math.ceil(MIN_SHARE * total)
    counts = {t.theme.id: min(answering, max(round(t.share * answering), floor)) for t in themes}
    while sum(counts.values()) > 2 * answering:  # only for a handful of participants
        counts[max(counts, key=lambda k: counts[k])] -= 1
    by_share = sorted(themes, key=lambda t: -t.share)
    step = 0
    while sum(counts.values()) < answering:
        theme = by_share[step % len(by_share)].theme.id
        counts[theme] = min(answering, counts[theme] + 1)
        step += 1
    return counts


def _assign(
    themes: Sequence[_Theme], answering: Sequence[int], departments: Sequence[str], total: int, rng: random.Random
) -> dict[int, list[str]]:
    """Exactly the quota of each theme, one or two themes per participant, nudged by department."""
    counts = _quota(themes, len(answering), total)
    chosen: dict[int, list[str]] = {p: [] for p in answering}
    for theme in sorted(themes, key=lambda t: counts[t.theme.id]):  # rarest first
        tid = theme.theme.id
        keys = []
        for p in answering:
            if len(chosen[p]) >= 2:
                continue
            weight = _AFFINITY.get(departments[p], {}).get(tid, 1.0) * (3.0 if not chosen[p] else 1.0)
            keys.append((rng.random() ** (1.0 / weight), p))
        for _, p in heapq.nlargest(counts[tid], keys):
            chosen[p].append(tid)
    empty = [p for p in answering if not chosen[p]]
    doubles = [p for p in answering if len(chosen[p]) == 2]
    rng.shuffle(doubles)
    for p, q in zip(empty, doubles, strict=False):  # move one theme over from a two-theme answer
        chosen[p].append(chosen[q].pop(rng.randrange(2)))
    for p in answering:
        rng.shuffle(chosen[p])
    return chosen


# -- one interview -----------------------------------------------------------------------------------

_LOWER_I = re.compile(r"\bi\b")
_PROPER = {"english": "English", "excel": "Excel", "sql": "SQL", "google": "Google", "python": "Python"}
_PROPER_WORD = re.compile(r"\b(" + "|".join(_PROPER) + r")\b")


@dataclass
class _Voice:
    """How one participant writes: tidy, casual or all lower case, with their own tools and examples."""

    style: str  # "neat", "casual" or "lower"
    rng: random.Random
    used: dict[str, set[int]]
    memory: dict[str, str]

    def theme_sentence(self, theme: _Theme, first: bool, prefix: bool = True) -> str:
        """One of the theme's templates not yet used in this interview, sometimes closed by a tail."""
        index = self._pick(theme.theme.id, len(theme.templates))
        sentence = self._tidy(theme.sentence(index, self.rng, self.memory))
        tailed = sentence.endswith(".") and self.rng.random() < 0.55
        if tailed:
            tail = theme.tail(self._pick(theme.theme.id + "+", len(theme.tails)), self.rng)
            sentence = sentence[:-1] + self.rng.choice(_TAIL_JOINS) + tail + "."
        if self.style != "lower":  # all lower case stays so
            sentence = _REWORDING.sub(lambda m: self._reword(m.group(1)), sentence)
        return self._vary(sentence, first, tailed, prefix)

    def _reword(self, phrase: str) -> str:
        return self.rng.choice(_REWORDINGS[phrase]) if self.rng.random() < 0.5 else phrase

    def _pick(self, key: str, count: int) -> int:
        used = self.used.setdefault(key, set())
        unused = [i for i in range(count) if i not in used]
        index = self.rng.choice(unused or range(count))
        used.add(index)
        return index

    def _tidy(self, sentence: str) -> str:
        """A neat writer capitalises and ends a sentence; a casual one usually ends it."""
        if sentence[-1] in '.?!"':
            return sentence
        if self.style == "neat":
            sentence = _LOWER_I.sub("I", sentence[:1].upper() + sentence[1:])
            return _PROPER_WORD.sub(lambda m: _PROPER[m.group(1)], sentence) + "."
        if self.style == "casual" and self.rng.random() < 0.7:
            return sentence + "."
        return sentence

    def _vary(self, sentence: str, first: bool, tailed: bool, prefix: bool) -> str:
        rng = self.rng
        if rng.random() < 0.3 and prefix:
            word = sentence.split(" ", 1)[0].rstrip(",.?!:;")
            if word not in _KEEP_CAPITAL and not any(c.isupper() for c in word[1:]):
                sentence = sentence[:1].lower() + sentence[1:]
            sentence = rng.choice(_FIRST_PREFIXES if first else _NEXT_PREFIXES) + sentence
        if not tailed and rng.random() < 0.25 and sentence.endswith("."):
            sentence = sentence[:-1] + rng.choice(_SUFFIXES) + "."
        return sentence

    def filler(self) -> str:
        return self._tidy(self.rng.choice(_FILLERS))

    def typed(self, text: str) -> str:
        """The participant's habits: lower case, dropped apostrophes, the odd typo."""
        rng = self.rng
        if self.style == "lower":
            text = text.lower()
            if rng.random() < 0.6:
                text = text.rstrip(".")
        if self.style != "neat" and rng.random() < 0.5:
            text = text.replace("don't", "dont").replace("I'm", "im").replace("can't", "cant").replace("it's", "its")
        if rng.random() < (0.35 if self.style != "neat" else 0.08):
            text = _typo(text, rng)
        return text


def _typo(text: str, rng: random.Random) -> str:
    """Two letters swapped in one longer word, never in a theme's keyword."""
    words = text.split(" ")
    for _ in range(6):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) >= 5 and w.isalpha() and w.islower() and not _PROTECTED_WORD.search(w):
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            return " ".join(words)
    return text


def _answer(voice: _Voice, themes: Sequence[_Theme], focus: _Theme | None, budget: float) -> str:
    """One user turn: each theme 1-3 sentences (a follow-up reply leads with ``focus``), 0-2 fillers."""
    rng = voice.rng
    order = list(themes) if focus is None else [focus, *[t for t in themes if t is not focus]]
    said: dict[str, list[str]] = {t.theme.id: [] for t in order}
    fillers: list[str] = [rng.choice(_OPENERS)] if focus is not None and rng.random() < 0.4 else []
    for number, theme in enumerate(order if focus is None else order[:1]):
        said[theme.theme.id].append(voice.theme_sentence(theme, number == 0, prefix=not (fillers and number == 0)))
    length = sum(len(s) + 1 for group in said.values() for s in group) + sum(len(f) + 1 for f in fillers)
    while True:
        open_themes = [t for t in order if len(said[t.theme.id]) < 3]
        target: list[str]
        if open_themes and (len(fillers) >= 2 or rng.random() < 0.92):
            theme = rng.choices(open_themes, [2.0 if t is focus else 1.0 for t in open_themes])[0]
            candidate, target = voice.theme_sentence(theme, False), said[theme.theme.id]
        elif len(fillers) < 2:
            candidate, target = voice.filler(), fillers
        else:
            break
        if length + len(candidate) / 2 > budget:  # stop when it would overshoot by more than half of it
            break
        target.append(candidate)
        length += len(candidate) + 1
    opener = fillers[:1] if fillers and fillers[0] in _OPENERS else []
    sentences = [s for t in order for s in said[t.theme.id]]
    for filler in fillers[len(opener) :]:  # mostly at the end, sometimes between two sentences
        sentences.insert(rng.choice([len(sentences), len(sentences), rng.randint(1, len(sentences))]), filler)
    joiner = "\n" if rng.random() < 0.08 else " "
    return voice.typed(joiner.join(opener + sentences))


def _capacity(themes: Sequence[_Theme]) -> float:
    """About how long one user turn on these themes can get (3 sentences a theme, 2 fillers)."""
    return 3 * len(themes) * _SENTENCE_CHARS + 2 * _FILLER_CHARS


def _follow_up(theme: _Theme | None, rng: random.Random) -> str:
    if theme is None or rng.random() < 0.3:
        return rng.choice(_FOLLOW_UP_PLAIN)
    opening = rng.choice(_FOLLOW_UP_OPENINGS).format(gist=rng.choice(theme.gists))
    return f"{opening} {rng.choice(_FOLLOW_UP_ASKS)}"


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


@functools.lru_cache(maxsize=4096)
def _size(role: Role, text: str) -> int:
    """Characters this turn adds to the dataset text, with the blank line before it."""
    return len(dataset_text([Turn(role, text, "", 0.0)])) + 2


# Who writes the follow-ups, as the privacy notice names it: ClaudeInterviewer.processor, written out
# here because importing the Anthropic SDK would cost a second (tests/test_analysis_corpus.py compares).
PROCESSOR = "Claude, an AI model made by Anthropic"
_INTRO_TEXT = _join(_join(FLOW.introduction.strip(), texts.COMMANDS_HINT), FLOW.consent)
_CONSENT_VERSION = consent_version(
    _join(FLOW.introduction.strip(), privacy_notice(FLOW.study, PROCESSOR), texts.COMMANDS_HINT),
    FLOW.consent,
)


@dataclass
class _Step:
    role: Role
    text: str
    question_id: str
    weight: float = 0.0  # a participant's answer: its share of the characters left for answers
    themes: tuple[_Theme, ...] = ()
    focus: _Theme | None = None


def _script(plan: dict[str, list[str]], follow_ups: Sequence[int], rng: random.Random) -> list[_Step]:
    """Every turn of a whole interview, the participant's answers still empty."""
    steps = [_Step(Role.AI, _INTRO_TEXT, INTRO), _Step(Role.USER, rng.choice(_CONSENTS), INTRO)]
    for number, (question, asked) in enumerate(zip(FLOW.questions, follow_ups, strict=True)):
        lead = "Thank you. Let's begin." if number == 0 else rng.choice(_LEADS)
        steps.append(_Step(Role.AI, _join(lead, question.ask), question.id))
        themes = tuple(_BY_ID[t] for t in plan.get(question.id, ()))
        share = _QUESTION_WEIGHT[question.id] * rng.uniform(0.75, 1.25)
        steps.append(_Step(Role.USER, "", question.id, share, themes))
        for n in range(asked):
            focus = themes[n % len(themes)] if themes else None
            steps.append(_Step(Role.AI, _follow_up(focus, rng), question.id))
            steps.append(_Step(Role.USER, "", question.id, share * 0.6, themes, focus))
    steps.append(_Step(Role.AI, _join(rng.choice(_LEADS), FLOW.closing_question), CLOSING))
    steps.append(_Step(Role.USER, rng.choice(_CLOSINGS), CLOSING))
    steps.append(_Step(Role.AI, FLOW.thank_you.strip(), THANKS))
    return steps


def _planned(plan: dict[str, list[str]], target: float, rng: random.Random) -> tuple[list[_Step], float]:
    """The interview's turns and the characters left for answers; more follow-ups when answers need room."""
    limits = [q.follow_ups for q in FLOW.questions]
    counts = [min(limit, rng.choices(range(4), _FOLLOW_UP_CHANCES)[0]) for limit in limits]
    seed = rng.random()
    while True:
        steps = _script(plan, counts, random.Random(seed))
        fixed = sum(_size(s.role, s.text) for s in steps if s.weight == 0.0) - 2  # the first turn has no gap
        room = target - fixed - sum(_size(s.role, "") for s in steps if s.weight > 0.0)
        answers = [s for s in steps if s.weight > 0.0]
        # A stopped interview only needs room for the questions it reached.
        needed = room * sum(s.weight for s in answers if s.themes) / sum(s.weight for s in answers)
        capacity = sum(0.85 * _capacity(s.themes) for s in answers if s.themes)
        open_questions = [i for i, q in enumerate(FLOW.questions) if counts[i] < limits[i] and q.id in plan]
        if capacity >= needed or not open_questions:
            return steps, room
        counts[rng.choice(open_questions)] += 1


def _interview(
    number: int, plan: dict[str, list[str]], answered: int, rng: random.Random, target_chars: int
) -> Transcript:
    style = rng.choices(("neat", "casual", "lower"), (0.62, 0.28, 0.10))[0]
    voice = _Voice(style, rng, {}, {})
    # Answers are sized as if the interview ran to the end; a stopped one is then cut short.
    steps, remaining = _planned(plan, target_chars * rng.uniform(0.93, 1.07), rng)
    answers = [s for s in steps if s.weight > 0.0]
    weights = sum(s.weight for s in answers)
    for step in answers:
        if step.themes:  # questions a stopped interview never reached have no themes and stay empty
            step.text = _answer(voice, step.themes, step.focus, remaining * step.weight / weights)
            remaining -= len(step.text)
        weights -= step.weight
    if answered < len(FLOW.questions):
        stop_at = next(i for i, s in enumerate(steps) if s.question_id == FLOW.questions[answered].id)
        steps = steps[: stop_at + 1]  # the question they did not answer is the last turn
    return _timed(number, steps, rng, stopped=answered < len(FLOW.questions))


def _timed(number: int, steps: list[_Step], rng: random.Random, stopped: bool) -> Transcript:
    """Turn times: the AI replies in seconds, the participant takes time in proportion to what they write."""
    weekday = rng.randrange(20)
    start = _FIRST_DAY + (weekday // 5 * 7 + weekday % 5) * 86400 + rng.uniform(8 * 3600, 17 * 3600)
    minutes = rng.uniform(8, 25)
    effort = [25 + len(s.text) / 3 if s.role is Role.USER else 0.0 for s in steps]
    full = sum(effort)
    if stopped:  # the pace of the whole interview, had the rest been answered
        asked = {s.question_id for s in steps if s.role is Role.USER and s.question_id in _BY_QUESTION}
        full *= len(FLOW.questions) / max(1, len(asked))
    ai_gaps = [rng.uniform(2, 8) if s.role is Role.AI and n else 0.0 for n, s in enumerate(steps)]
    user_time = minutes * 60 - sum(ai_gaps)
    at = start
    consented_at = start
    turns: list[Turn] = []
    for step, gap, work in zip(steps, ai_gaps, effort, strict=True):
        if turns:
            at += gap + user_time * work / full
        if step.role is Role.USER and step.question_id == INTRO:
            consented_at = at
        turns.append(Turn(step.role, step.text, step.question_id, float(round(at))))
    ended = at + rng.uniform(20, 90) if stopped else at  # a stop asks whether to keep the answers
    return Transcript(
        transcript_id=f"{FLOW.id}_{number:04d}",
        flow_id=FLOW.id,
        flow_version=FLOW.version,
        started_at=float(round(start)),
        ended_at=float(round(ended)),
        ended_by="stopped" if stopped else "completed",
        turns=tuple(turns),
        consented_at=float(round(consented_at)),
        consent_version=_CONSENT_VERSION,
    )


# -- the set -----------------------------------------------------------------------------------------


def synthetic_set(count: int, seed: int = 0, target_chars: int = 9000) -> SyntheticSet:
    """``count`` interviews, each about ``target_chars`` characters of dataset text (about 10% stop early)."""
    rng = random.Random(seed)
    departments = _departments(count, rng)
    stopped = set(rng.sample(range(count), round(_STOPPED_SHARE * count)))
    answered = [rng.randint(2, 4) if p in stopped else len(FLOW.questions) for p in range(count)]
    plans: list[dict[str, list[str]]] = [{} for _ in range(count)]
    for index, question in enumerate(FLOW.questions):
        answering = [p for p in range(count) if answered[p] > index]
        for p, chosen in _assign(_BY_QUESTION[question.id], answering, departments, count, rng).items():
            plans[p][question.id] = chosen
    documents, planted, attributes = [], {}, {}
    for p in range(count):
        transcript = _interview(p + 1, plans[p], answered[p], rng, target_chars)
        documents.append(transcript.to_dict())
        planted[transcript.transcript_id] = plans[p]
        attributes[transcript.transcript_id] = {"department": departments[p]}
    return SyntheticSet(documents=documents, planted=planted, themes=list(THEMES), attributes=attributes)


def write_folder(data: SyntheticSet, folder: Path) -> None:
    """One ``<transcript_id>.json`` per interview, as the file sink writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for document in data.documents:
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        (folder / f"{document['transcript_id']}.json").write_text(text, encoding="utf-8")


def turns_of(document: dict[str, Any]) -> list[Turn]:
    return [Turn(Role(t["role"]), t["text"], t["question_id"], 0.0) for t in document["turns"]]


def dataset_csv(data: SyntheticSet, attribute: str | None = None) -> str:
    """The public dataset's ``transcript_id,text`` rows, with one attribute column if asked for."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["transcript_id", "text", *([attribute] if attribute else [])])
    for document in data.documents:
        tid = document["transcript_id"]
        extra = [data.attributes[tid][attribute]] if attribute else []
        writer.writerow([tid, dataset_text(turns_of(document)), *extra])
    return buffer.getvalue()
