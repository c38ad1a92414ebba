"""Texts and files that several parts build (a handler and a scheduled job, an answer and a CSV export): one
module per feature, so their msgids land in the feature's catalog (``bot.i18n.feature_of``)."""
