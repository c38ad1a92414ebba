-- The inbox: the updates this bot took from Telegram, keyed by the bot and Telegram's update_id
-- (several bots and several workers can share it). A row is written, at the latest, before
-- Telegram is told the update arrived (polling: before the next getUpdates offset moves past it;
-- webhook: before the 200), so a crash loses none and one that comes again is not handled twice:
--
--   (handled in time) ── its effects and this row, 'done', in one transaction ──────────▶ done
--   (still being handled when the next batch is due) ─▶ pending, with its payload ──────▶ done
--      └── started MAX_ATTEMPTS times without finishing (it kills the process?) ──▶ given_up
--
-- reply_json: the first answer after the update's writes, stored in the same transaction as
-- those writes, cleared once Telegram accepted it; one left after a crash is sent again at start
-- (bot/intake.py). payload_json only while pending: a done row keeps no message text.
CREATE TABLE inbox (
    bot_id        INTEGER NOT NULL,
    update_id     INTEGER NOT NULL,
    chat_id       INTEGER,
    payload_json  TEXT,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'given_up')),
    attempts      INTEGER NOT NULL DEFAULT 1,
    received_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    done_at       TEXT,
    reply_json    TEXT,
    PRIMARY KEY (bot_id, update_id)
) WITHOUT ROWID;
-- No index beyond the key: what is left at start (pending rows, answers to send again) is read
-- once, by a scan of a table that holds two days at most (done rows are pruned after that;
-- Telegram keeps an update 24 hours), and every index would cost each update a page more.
