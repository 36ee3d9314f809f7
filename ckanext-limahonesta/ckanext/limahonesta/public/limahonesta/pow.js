/* Lima Honesta: anti-spam proof of work, computed in this browser (no third party).
   Finds a counter such that SHA-256(challenge + ":" + counter) starts with
   `difficulty` zero bits. Without this script the server accepts the form after a
   short wait instead. */
(function () {
  "use strict";
  var form = document.getElementById("lh-report-form");
  if (!form || !window.crypto || !window.crypto.subtle || !window.TextEncoder) { return; }
  var challengeInput = document.getElementById("pow_challenge");
  var counterInput = document.getElementById("pow_counter");
  var status = document.getElementById("pow_status");
  var difficulty = parseInt(challengeInput.getAttribute("data-difficulty"), 10) || 0;
  var encoder = new TextEncoder();
  var busy = false;

  function zeroBits(buffer) {
    var bytes = new Uint8Array(buffer), bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { bits += 1; b <<= 1; }
      return bits;
    }
    return bits;
  }

  function search(start) {
    var batch = [];
    for (var i = 0; i < 512; i++) {
      batch.push(crypto.subtle.digest("SHA-256",
        encoder.encode(challengeInput.value + ":" + (start + i))));
    }
    return Promise.all(batch).then(function (digests) {
      for (var j = 0; j < digests.length; j++) {
        if (zeroBits(digests[j]) >= difficulty) { return start + j; }
      }
      return search(start + 512);
    });
  }

  form.addEventListener("submit", function (event) {
    if (counterInput.value || busy) { if (busy) { event.preventDefault(); } return; }
    event.preventDefault();
    busy = true;
    // the page gives the text in its own language
    status.textContent = status.getAttribute("data-working") || "";
    search(0).then(function (counter) {
      counterInput.value = String(counter);
      status.textContent = "";
      busy = false;
      form.submit();
    });
  });
}());
