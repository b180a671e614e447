// The console's only script of its own (no inline handlers: the CSP allows none).
// - a mass-action menu item (data-admin-action) runs Flask-Admin's modelActions.execute;
// - "#" and javascript: links of Flask-Admin's menus never navigate.
document.addEventListener('click', function (event) {
  var link = event.target.closest('a');
  if (!link) return;
  var action = link.getAttribute('data-admin-action');
  if (action !== null) {
    event.preventDefault();
    if (window.modelActions) window.modelActions.execute(action);
    return;
  }
  var href = link.getAttribute('href') || '';
  if (href === '#' || href.indexOf('javascript:') === 0) event.preventDefault();
});

// A form with data-confirm asks first (e.g. deleting a stored video).
document.addEventListener('submit', function (event) {
  var message = event.target.getAttribute('data-confirm');
  if (message && !window.confirm(message)) event.preventDefault();
});
