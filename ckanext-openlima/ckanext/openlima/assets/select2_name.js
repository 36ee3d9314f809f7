/* The keywords box (select2's multiple selection, which CKAN's "autocomplete" module
   builds over the field) gets its field's name, the text of the field's label: without
   it a screen reader announces an unnamed combo box (axe: aria-input-field-name). */
ckan.module("openlima-select2-name", function ($) {
  return {
    initialize: function () {
      var el = this.el;
      var label = $('label[for="' + el.attr("id") + '"]').first().clone();
      label.find(".control-required").remove();
      var name = $.trim(label.text());
      if (!name) { return; }
      window.setTimeout(function () {
        el.next(".select2-container")
          .find(".select2-selection--multiple, .select2-search__field")
          .attr("aria-label", name);
      }, 0);
    }
  };
});
