"""Assembly of the bot (settings, dispatcher, middlewares, scheduler, keyboards) and the domain rules."""
