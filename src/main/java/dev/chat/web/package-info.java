/** The HTTP API (register, login, protocol tables), written once and adapted by each runtime. */
package dev.chat.web;
