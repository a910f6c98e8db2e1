"""The return standard (`schemas/return_v1.yaml`), the reference lists (trusts, pay
scales), the validator and the spec page: what a return must be, and checking one."""
