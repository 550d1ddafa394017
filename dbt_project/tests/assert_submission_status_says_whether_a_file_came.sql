-- A submission's status says whether a file came (submission_statuses.is_received): the
-- status of an expected file that did not come is the one not received, and only it.
{{ config(meta={'dagster': {'ref': {'name': 'mart_submissions'}}}) }}  -- shown on the mart in Dagster
select
    submissions.period,
    submissions.association_code,
    submissions.received,
    submissions.status,
    statuses.is_received
from {{ ref('mart_submissions') }} as submissions
left join {{ ref('submission_statuses') }} as statuses
    on statuses.status_code = submissions.status
where statuses.is_received is distinct from submissions.received
