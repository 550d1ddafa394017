-- Values by unit: percent and score within 0–100, points within ±100, counts whole and ≥ 0,
-- amounts, days and ratios ≥ 0; counts and amounts are never NULL; a rate equals its
-- numerator ÷ denominator.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}  -- shown on the mart in Dagster
select
    indicators.*,
    catalog.unit
from {{ ref('fct_indicators') }} as indicators
inner join {{ ref('indicator_catalog') }} as catalog
    on catalog.indicator_code = indicators.indicator_code
where (catalog.unit in ('percent', 'score') and not indicators.value between 0 and 100)
    or (catalog.unit = 'points' and not indicators.value between -100 and 100)
    or (catalog.unit in ('count', 'EUR', 'FTE', 'days', 'ratio') and indicators.value < 0)
    or (catalog.unit = 'count' and indicators.value <> floor(indicators.value))
    or (catalog.unit in ('count', 'EUR', 'FTE') and indicators.value is null)
    or (
        catalog.unit = 'percent'
        and abs(indicators.value - 100 * indicators.numerator / indicators.denominator) > 1e-9
    )
