-- One row per (period, association) from which the registry expects a file, over the
-- calendar of published periods.
with

periods as (
    select * from {{ ref('int_periods_covered') }}
),

registered as (
    select * from {{ ref('int_associations_registered') }}
)

select
    periods.period,
    registered.association_code,
    registered.association_name
from periods
inner join registered
    on registered.first_expected_period <= periods.period
    and (
        registered.last_expected_period is null
        or registered.last_expected_period >= periods.period
    )
