with

indicators as (
    select * from {{ ref('int_indicators_suppressed') }}
)

select
    period_grain,
    period,
    scope,
    association_code,
    indicator_code,
    mis_pe_dimension,
    breakdown,
    breakdown_value,
    value,
    numerator,
    denominator,
    is_suppressed,
    no_value_reason,
    is_secondary_suppressed
from indicators
order by
    period_grain,
    period,
    scope,
    association_code nulls first,
    indicator_code,
    mis_pe_dimension,
    breakdown <> 'total',
    breakdown,
    breakdown_order nulls last,
    breakdown_value
