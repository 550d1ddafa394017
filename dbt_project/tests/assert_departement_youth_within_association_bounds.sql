-- Youth are counted once at département scope: in every cell of youth_accompanied the
-- département value is at most the sum of the associations' (a youth may be in two) and at
-- least the largest association's.
with

youth as (
    select * from {{ ref('fct_indicators') }}
    where indicator_code = 'youth_accompanied'
),

association_bounds as (
    select
        period_grain,
        period,
        breakdown,
        breakdown_value,
        sum(value) as association_sum,
        max(value) as association_max
    from youth
    where scope = 'association'
    group by period_grain, period, breakdown, breakdown_value
)

select
    departement.period_grain,
    departement.period,
    departement.breakdown,
    departement.breakdown_value,
    departement.value,
    association_bounds.association_sum,
    association_bounds.association_max
from youth as departement
left join association_bounds
    on association_bounds.period_grain = departement.period_grain
    and association_bounds.period = departement.period
    and association_bounds.breakdown = departement.breakdown
    and {{ same_or_both_null('association_bounds', 'departement', 'breakdown_value') }}
where departement.scope = 'departement'
    and (
        departement.value > coalesce(association_bounds.association_sum, 0)
        or departement.value < coalesce(association_bounds.association_max, 0)
    )
