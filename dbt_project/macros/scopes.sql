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
