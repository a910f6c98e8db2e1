"""The trusts' web portal (`psw portal`): sign in, upload a return, see the result at once,
follow the trust's months and reports.

- `app`: the Starlette application, sign-in and the routes' wiring; `views`: a trust's pages;
  `downloads`: its reports, history and findings (CSV); `context`: what every page shares.
- `mail`: the emails owed and sending them (SMTP, GOV.UK Notify).
- `store`: grants, audit log, uploads and sent emails (SQLite); `signin`: OpenID Connect.
- `uploads`: an upload checked, stored as any S3 upload, validated at once, receipted.
- `months`, `results`: pure helpers for the pages (a month's status, findings by rule).
- `security`: headers, CSRF, rate limits.
"""
