/* CKAN's table view (DataTables), made accessible where it is not:
   - the scrollResize plugin adds an empty iframe only to hear resize events; it holds
     nothing for a reader: it gets a title (axe "frame-title") and is hidden from
     assistive technology and from the keyboard;
   - the per-column filter boxes have no label (axe "label", critical): each gets
     "Filtrar <column>" from its column header; any other text box without a label
     (the table's search box) gets "Buscar en la tabla". */
(function () {
  function content(name) {
    var meta = document.querySelector('meta[name="' + name + '"]');
    return meta ? meta.getAttribute('content') : '';
  }
  var title = content('openlima-resize-frame-title');
  var filterLabel = content('openlima-column-filter-label');
  var searchLabel = content('openlima-table-search-label');
  function columnName(input) {
    // the view names each box dtcol-<mangled name>-<index>; the index points into the
    // data dictionary it publishes as the global gdataDict
    var match = /^dtcol-(.*)-(\d+)$/.exec(input.getAttribute('name') || '');
    if (!match) { return ''; }
    /* global gdataDict */
    var field = typeof gdataDict !== 'undefined' ? gdataDict[parseInt(match[2], 10)] : null;
    if (field) { return (field.info && field.info.label) || field.id; }
    return match[1];
  }
  function mark() {
    var inputs = document.querySelectorAll('input[name^="dtcol-"]:not([aria-label])');
    for (var j = 0; j < inputs.length; j++) {
      inputs[j].setAttribute('aria-label', filterLabel.replace('{column}', columnName(inputs[j])));
    }
    var boxes = document.querySelectorAll(
      'input[type="text"]:not([aria-label]):not([name^="dtcol-"]), input[type="search"]:not([aria-label])');
    for (var k = 0; k < boxes.length; k++) {
      var box = boxes[k];
      var labelled = (box.id && document.querySelector('label[for="' + box.id + '"]')) ||
        (box.closest && box.closest('label'));
      if (!labelled) { box.setAttribute('aria-label', box.getAttribute('placeholder') || searchLabel); }
    }
    var frames = document.querySelectorAll('iframe[src="about:blank"]:not([title])');
    for (var i = 0; i < frames.length; i++) {
      frames[i].setAttribute('title', title);
      frames[i].setAttribute('aria-hidden', 'true');
      frames[i].setAttribute('tabindex', '-1');
    }
  }
  new MutationObserver(mark).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', mark);

  /* The view's buttons call its functions from inline onclick attributes, which the
     portal's CSP does not run (ckanext/openlima/csp.py): the same calls, as listeners. */
  /* global fitColText, copyModal, printModal */
  function recordTitle() {
    var table = document.getElementById('dtprv');
    if (!table) { return ''; }
    return table.getAttribute('data-package-name') + '\u2014' + table.getAttribute('data-resource-name');
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest(
      '#refit-button, #modalcopy-button, #modalprint-button');
    if (!button) { return; }
    if (button.id === 'refit-button' && typeof fitColText === 'function') { fitColText(); }
    if (button.id === 'modalcopy-button' && typeof copyModal === 'function') { copyModal(recordTitle()); }
    if (button.id === 'modalprint-button' && typeof printModal === 'function') { printModal(recordTitle()); }
  });
})();
