"""The question log: what users asked, how the service decided, and what they thought of
the answer, so that the owner can see what the interviews do not answer and which answers
were wrong.

Front ends reach it through the service, which calls `recorder.QuestionLog` (record, vote,
prefer; it never waits for the database); the command line reads with `store.Store` and
the functions of `queries`. No user ids, chat ids or names are ever stored. `settings`
holds the [store] section. Import the module you need: this package imports nothing, so
that reading settings does not load the database driver.
"""
