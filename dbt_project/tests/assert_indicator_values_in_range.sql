-- Values by unit, as indicator_units states them: quantities (not is_ratio: counts, amounts)
-- NULL only with a reason (non applicable, no file); counts whole; a percent equals its
-- numerator ÷ denominator × 100. Whether a value lies within its unit's range (min_value,
-- max_value) is the publication gate's check (ase_impact/gate/suites.py, read from the same
-- seed): a value out of range comes from a file, and the gate quarantines the
-- association-months behind it instead of stopping the build of every association here.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}  -- shown on the mart in Dagster
select
    indicators.*,
    catalog.unit
from {{ ref('fct_indicators') }} as indicators
inner join {{ ref('indicator_catalog') }} as catalog
    on catalog.indicator_code = indicators.indicator_code
inner join {{ ref('indicator_units') }} as units
    on units.unit = catalog.unit
where (not units.is_ratio and indicators.value is null and indicators.no_value_reason is null)
    or (catalog.unit = 'count' and indicators.value <> floor(indicators.value))
    or (
        catalog.unit = 'percent'
        and indicators.value is not null
        and abs(indicators.value - 100 * indicators.numerator / indicators.denominator) > 1e-9
    )
