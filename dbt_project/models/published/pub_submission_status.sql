{{ config(alias='submission_status') }}
-- Return status per trust and month: about files, not people, so served as it is.
select * from {{ ref('submission_status') }}
