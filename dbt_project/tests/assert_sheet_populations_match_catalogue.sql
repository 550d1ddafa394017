-- A read sheet's population (reporting_sheets) is the one of every indicator the catalogue
-- bases on its rows: the alert telling an association that a sheet counts nowhere for it
-- (REG-001) must say what the indicators do.
select
    sheets.sheet_code,
    sheets.population_code as sheet_population,
    catalog.indicator_code,
    catalog.population as indicator_population
from {{ ref('reporting_sheets') }} as sheets
inner join {{ ref('indicator_catalog') }} as catalog
    on catalog.basis = sheets.raw_table
where catalog.population <> sheets.population_code
