-- The association registry (the CSV the département keeps, loaded into raw.associations), with
-- the months it expects a file from each association: from the month of expected_from to the month of
-- expected_until (NULL while still expected). An association is expected in period P when
-- first_expected_period <= P and (last_expected_period is NULL or last_expected_period >= P),
-- that is expected_until >= P's first day: the rule is stated here once.
with

registry as (
    select * from {{ ref('stg_reporting__associations') }}
)

select
    *,
    date_trunc('month', expected_from)::date as first_expected_period,
    date_trunc('month', expected_until)::date as last_expected_period
from registry
