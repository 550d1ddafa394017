-- Cross-month consistency: a pair's match date should not change from one month's file to
-- the next (a correction is possible, so this warns rather than fails).
{{ config(severity='warn') }}

select
    association_code,
    pair_id,
    count(distinct match_date) as match_dates,
    min(match_date) as first_match_date,
    max(match_date) as last_match_date
from {{ ref('stg_reporting__pairs') }}
where match_date is not null
group by association_code, pair_id
having count(distinct match_date) > 1
