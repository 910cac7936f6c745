// The page's elements, looked up once: the markup is static (index.html), so they never change.

export const $ = (id) => document.getElementById(id);

export const el = {
  loginView: $('login-view'),
  loginForm: $('login-form'),
  loginUser: $('login-username'),
  loginPass: $('login-password'),
  loginSubmit: $('login-submit'),
  loginError: $('login-error'),
  registerForm: $('register-form'),
  toRegister: $('to-register'),
  registerSubmit: $('register-submit'),
  registerError: $('register-error'),
  chatView: $('chat-view'),
  status: $('status'),
  me: $('me'),
  logout: $('logout'),
  search: $('search'),
  results: $('search-results'),
  messages: $('messages'),
  composer: $('composer'),
  input: $('input'),
  errors: $('errors'),
};
