-- Every approved version of the figures of the approved months: fct_indicators' rows of the
-- windows each approval froze, as they were approved (approvals.fct_indicators, written by
-- `ase-impact approve`). fct_indicators always holds the current figures.
{%- set approved = approved_relation('fct_indicators') %}

{%- if approved is not none %}
select
    approved_month::date as approved_month,
    approval_version::integer as approval_version,
    approved_at::timestamp as approved_at,
    {{ approved_columns(approved, fct_indicator_columns()) }}
from {{ approved }}
{%- else %}
select
    null::date as approved_month,
    null::integer as approval_version,
    null::timestamp as approved_at,
    {{ approved_columns(none, fct_indicator_columns()) }}
where false
{%- endif %}
order by approved_month, approval_version, period_grain, period, scope,
    association_code nulls first, indicator_code, mis_pe_dimension, breakdown, breakdown_value
