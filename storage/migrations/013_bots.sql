-- Several bots in one deployment (issue 18): a rural district may have its own bot (its own name
-- and picture in Telegram); one process serves every token, each with its own sender.

-- A district's own bot, added by the operator (`bot.py add-bot`) after getMe answered for the token.
-- The deployment's own bot (BOT_TOKEN) is not a row: it serves the districts without a bot of their own.
CREATE TABLE bots (
    telegram_id        INTEGER PRIMARY KEY,   -- getMe's id (the token's digits)
    rural_district_id  INTEGER NOT NULL UNIQUE REFERENCES rural_districts(id) ON DELETE CASCADE,
    token              TEXT NOT NULL UNIQUE,
    username           TEXT NOT NULL,
    webhook_secret     TEXT NOT NULL,         -- checked per bot in webhook mode
    added_at           TEXT NOT NULL
);

-- The district bot a person last wrote to; NULL: the deployment's own bot. A bot can write only to
-- people who started it, so that bot's sender writes to them (a resident keeps their data: the row
-- is the same, found by the Telegram id, whichever bot they write to).
ALTER TABLE people ADD COLUMN bot_id INTEGER;
CREATE INDEX people_by_bot ON people (bot_id) WHERE bot_id IS NOT NULL;

-- The singleton lease: the one sender of the deployment whose process runs the scheduler's jobs
-- (reminders, closing votes, broadcasts, backups). It is the sender's own lease (beat_at): a
-- holder silent for SENDER_LEASE_SECONDS, or whose pid is gone on this host, loses it.
ALTER TABLE senders ADD COLUMN leads INTEGER NOT NULL DEFAULT 0 CHECK (leads IN (0, 1));
CREATE UNIQUE INDEX senders_one_leader ON senders (leads) WHERE leads = 1;

-- The pause Telegram asked a district's bot for (429 retry_after): its senders wait, the other
-- bots' do not (Telegram counts each token on its own). The deployment's bot keeps delivery_pause.
CREATE TABLE bot_pauses (
    bot_id  INTEGER PRIMARY KEY,
    until   TEXT NOT NULL
);
