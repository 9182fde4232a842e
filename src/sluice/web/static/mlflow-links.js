// The mlflow client prints links in its own UI's form (/#/experiments/1/runs/<id>);
// send them to the matching Sluice page.
(function () {
  var hash = window.location.hash, m;
  if ((m = hash.match(/^#\/experiments\/\d+\/runs\/([0-9a-f]+)/))) {
    window.location.replace("/runs/" + m[1]);
  } else if ((m = hash.match(/^#\/experiments\/(\d+)/))) {
    window.location.replace("/experiments/" + m[1]);
  } else if ((m = hash.match(/^#\/models\/([^/]+)/))) {
    window.location.replace("/models/" + m[1]);
  }
})();
