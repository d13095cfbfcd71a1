import cf from 'cloudfront';

// CloudFront Functions viewer-request handler (runtime cloudfront-js-2.0) that splits traffic
// between the distribution's two origins, "lambda" and "ecs", by weight, on every request.
//
// The weights are written into this code at synth (constructs/origin_selector.py replaces the
// WEIGHTS line below, and nothing else): a weight change is then a change of the function's code,
// which `cdk diff` shows and `cdk deploy -c lambda_weight=N` publishes, with no KeyValueStore to
// keep in step with the stack. The line must stay one line, `var WEIGHTS = {...};`.
//
// Written for CloudFront Functions' JavaScript (ES 5.1 and the parts of later editions it
// documents): no timers, no network, no eval, 10 KB of code in all.

var WEIGHTS = {"lambda": 100, "ecs": 0};

// The order the weights are laid end to end in: fixed, so that a draw always lands on the same
// origin for the same weights (the tests depend on it), and limited to the distribution's origin
// ids, so that a stray key can never name an origin that does not exist.
var ORIGIN_IDS = ['lambda', 'ecs'];

// The origin id a draw in [0, 1) falls on, or null. A weight that is missing, not a number or not
// above 0 counts as 0: a mangled WEIGHTS must not make the function throw, since a
// viewer-request function that throws fails the viewer's request instead of serving it.
function pickOrigin(weights, draw) {
    if (typeof weights !== 'object' || weights === null) {
        return null;
    }
    var point = draw * 100;
    var upper = 0;
    for (var i = 0; i < ORIGIN_IDS.length; i++) {
        var weight = weights[ORIGIN_IDS[i]];
        if (typeof weight !== 'number' || !(weight > 0)) {
            continue;
        }
        upper += weight;
        // Strictly below: each origin owns [lower, upper), so a draw of exactly 0.25 with
        // 25/75 goes to ecs, and the ranges neither overlap nor leave gaps.
        if (point < upper) {
            return ORIGIN_IDS[i];
        }
    }
    // Weights summing to 0 (or an empty WEIGHTS) select nothing: the cache behavior's own
    // origin, the distribution's default, serves the request.
    return null;
}

function handler(event) {
    // typeof rather than a plain read: a code without its WEIGHTS line must still serve.
    var id = pickOrigin(typeof WEIGHTS === 'undefined' ? null : WEIGHTS, Math.random());
    // Selected even when it is the only origin with a weight: the behavior's default origin is
    // not necessarily the one the weights name.
    if (id !== null) {
        cf.selectRequestOriginById(id);
    }
    return event.request;
}
