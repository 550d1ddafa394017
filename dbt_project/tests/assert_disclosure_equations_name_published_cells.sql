-- Every member of a disclosure equation names cells that are published: a member that matches
-- none (a misspelt breakdown value, a renamed indicator) would silently protect nothing.
-- (Before any file, nothing is published: nothing to check.)
select equations.*
from {{ ref('disclosure_equations') }} as equations
where exists (select 1 from {{ ref('fct_indicators') }})
and not exists (
    select 1
    from {{ ref('fct_indicators') }} as cells
    where cells.indicator_code = equations.indicator_code
        and cells.breakdown = equations.breakdown
        and cells.breakdown_value is not distinct from equations.breakdown_value
)
