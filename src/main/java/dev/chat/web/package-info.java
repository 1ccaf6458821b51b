/**
 * The HTTP API (register, login, the sessions' refresh, logout and password change with their
 * cookie, protocol tables, the OpenAPI document of every endpoint), the server API for backends,
 * the operations endpoints (metrics, health checks in MicroProfile Health's shape) and the page's
 * security headers, written once and adapted by each runtime.
 */
package dev.chat.web;
