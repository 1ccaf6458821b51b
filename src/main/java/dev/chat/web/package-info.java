/**
 * The HTTP API (register, login, protocol tables) and the page's security headers, written once and
 * adapted by each runtime.
 */
package dev.chat.web;
