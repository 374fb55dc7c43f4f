// The browser journeys, run by e2e/run against a demo server (RENOUVO_URL).
// One file so that one Chromium serves them all; each journey has its own
// browser contexts, so one failing does not hide the others.
import './journeys/homes.js';
import './journeys/navigation.js';
import './journeys/follow_ups.js';
import './journeys/members.js';
import './journeys/billing.js';
import './journeys/escalations.js';
import './journeys/exports_reports.js';
import './journeys/phone.js';
import './journeys/meetings.js';
import './journeys/risk.js';
