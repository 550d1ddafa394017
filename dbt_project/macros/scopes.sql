{#-
    Every indicator is computed at two scopes from the same rows: each row is read once for
    its association and once for the département, so département figures are recomputed over
    the union of rows (distinct youth across associations), never summed from association ones.
-#}

{% macro cross_join_scopes() -%}
    cross join (values ('association'), ('departement')) as scopes (scope)
{%- endmacro %}

{% macro scope_association_code(association_column) -%}
    case when scopes.scope = 'association' then {{ association_column }} end
{%- endmacro %}

{#- Two rows of the same scope's association: association_code is NULL only in the
    département's scope, where it is the only value, and never empty. Compared coalesced, an
    equality PostgreSQL can hash or merge on; it joins on `is not distinct from` by comparing
    every pair of rows that agree on the other keys (int_indicators_completed on M: 16.6 s
    alone, 11.4 s coalesced). -#}
{% macro same_association(alias, other) -%}
    coalesce({{ alias }}.association_code, '') = coalesce({{ other }}.association_code, '')
{%- endmacro %}
