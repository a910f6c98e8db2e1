"""The notifications domain: the trusts' emails (report outcomes, reminders), sent by the
`send_emails` job, which the `portal_emails` sensor starts when any is owed."""
