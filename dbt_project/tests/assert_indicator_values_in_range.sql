-- Values by unit, as indicator_units states them: within the unit's range (min_value,
-- max_value); quantities (not is_ratio: counts, amounts) NULL only with a reason (non
-- applicable, no file); counts whole; a percent equals its numerator ÷ denominator × 100.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}  -- shown on the mart in Dagster
select
    indicators.*,
    catalog.unit
from {{ ref('fct_indicators') }} as indicators
inner join {{ ref('indicator_catalog') }} as catalog
    on catalog.indicator_code = indicators.indicator_code
inner join {{ ref('indicator_units') }} as units
    on units.unit = catalog.unit
where indicators.value < units.min_value
    or indicators.value > units.max_value
    or (not units.is_ratio and indicators.value is null and indicators.no_value_reason is null)
    or (catalog.unit = 'count' and indicators.value <> floor(indicators.value))
    or (
        catalog.unit = 'percent'
        and indicators.value is not null
        and abs(indicators.value - 100 * indicators.numerator / indicators.denominator) > 1e-9
    )
