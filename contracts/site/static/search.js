// Filters the index page's list of event types as the reader types in the search box.
// Every word typed must appear in an entry's event type, publisher or field names.
// Without JavaScript the search box stays hidden and the whole list is shown.
(function () {
  'use strict';
  var form = document.querySelector('[data-search-form]');
  if (!form) {
    return;
  }
  var input = document.getElementById('search');
  var status = document.getElementById('search-status');
  var empty = document.getElementById('no-results');
  var entries = Array.prototype.slice.call(document.querySelectorAll('li[data-search]'));
  var sections = Array.prototype.slice.call(document.querySelectorAll('section[data-owner]'));

  function apply() {
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    entries.forEach(function (entry) {
      var text = entry.getAttribute('data-search');
      var match = terms.every(function (term) { return text.indexOf(term) !== -1; });
      entry.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    sections.forEach(function (section) {
      section.hidden = section.querySelector('li[data-search]:not([hidden])') === null;
    });
    empty.hidden = shown !== 0;
    status.textContent = terms.length === 0 ? '' :
      shown + ' of ' + entries.length + ' event types match';
  }

  form.hidden = false;
  // 'input' for typing, 'search' for the clear button of a search field, 'change' for the rest.
  ['input', 'search', 'change'].forEach(function (name) {
    input.addEventListener(name, apply);
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    apply();
  });
  apply();
}());
