-- Issue 16, the screens a resident sees.
--
-- A document's text was stored as Telegram's HTML of the staff's message (message.html_text) and
-- escaped again when shown, so residents read «&amp;» and «&lt;». It is now stored as the plain
-- text typed. The texts stored before: the tags are dropped (every «<» of such a text opens a tag,
-- since a typed «<» was stored as «&lt;»), then the three entities aiogram writes are read back
-- («&amp;» last, so that a typed «&lt;», stored «&amp;lt;», comes back as «&lt;»).
UPDATE documents SET text_kk = (
    WITH RECURSIVE untagged (n, t) AS (
        SELECT 0, documents.text_kk
        UNION ALL
        SELECT n + 1, substr(t, 1, instr(t, '<') - 1) || substr(t, instr(t, '<') + instr(substr(t, instr(t, '<')), '>'))
        FROM untagged WHERE instr(t, '<') > 0 AND instr(substr(t, instr(t, '<')), '>') > 0
    )
    SELECT replace(replace(replace(t, '&lt;', '<'), '&gt;', '>'), '&amp;', '&') FROM untagged ORDER BY n DESC LIMIT 1
) WHERE text_kk LIKE '%&%' OR text_kk LIKE '%<%';

UPDATE documents SET text_ru = (
    WITH RECURSIVE untagged (n, t) AS (
        SELECT 0, documents.text_ru
        UNION ALL
        SELECT n + 1, substr(t, 1, instr(t, '<') - 1) || substr(t, instr(t, '<') + instr(substr(t, instr(t, '<')), '>'))
        FROM untagged WHERE instr(t, '<') > 0 AND instr(substr(t, instr(t, '<')), '>') > 0
    )
    SELECT replace(replace(replace(t, '&lt;', '<'), '&gt;', '>'), '&amp;', '&') FROM untagged ORDER BY n DESC LIMIT 1
) WHERE text_ru LIKE '%&%' OR text_ru LIKE '%<%';

-- A message about something at a set moment (an event): quiet hours never hold it past due_by,
-- and from expires_at on it is not sent at all (a notice after the event began helps nobody).
-- storage/outbox.py, claim() and start(); the moments come from bot/rules/events.py, notice_times().
ALTER TABLE outbox_messages ADD COLUMN due_by TEXT;
ALTER TABLE outbox_messages ADD COLUMN expires_at TEXT;
