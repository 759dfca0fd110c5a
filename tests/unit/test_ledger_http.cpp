#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/http_client.hpp"
#include "ledger/http_server.hpp"

using namespace akt::ledger;
using nlohmann::json;

namespace {

HttpRequest request(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

HttpRouter echo_router() {
  HttpRouter router;
  router.get("/v1/items/{owner}/{id}", [](const HttpRequest& r) {
    return HttpResponse::json(200, json{{"owner", r.param("owner")}, {"id", r.param("id")},
                                        {"q", r.query_value("q").value_or("")}});
  });
  router.get("/v1/items/{owner}/latest", [](const HttpRequest&) {
    return HttpResponse::json(200, json{{"latest", true}});
  });
  router.get("/v1/files/{rest...}", [](const HttpRequest& r) {
    return HttpResponse::json(200, json{{"rest", r.param("rest")}});
  });
  router.post("/v1/echo", [](const HttpRequest& r) {
    json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded()) return HttpResponse::error(400, "body is not JSON", "invalid");
    return HttpResponse::json(200, json{{"echo", body}, {"n", body.at("n").get<int>()}});
  });
  router.get("/v1/throw", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  router.get("/v1/stream", [](const HttpRequest& r) {
    int n = std::stoi(r.query_value("n").value_or("3"));
    return HttpResponse::streamed("text/plain", [n](const ChunkWriter& write) {
      for (int i = 0; i < n; ++i) {
        if (!write("line " + std::to_string(i) + "\n")) return;
      }
    });
  });
  return router;
}

} // namespace

TEST_CASE("ledger::HttpRouter matches patterns and params") {
  HttpRouter router = echo_router();
  SUBCASE("params are captured") {
    HttpResponse r = router.dispatch(request("GET", "/v1/items/akash1xyz/42"));
    CHECK(r.status == 200);
    CHECK(json::parse(r.body) == json{{"owner", "akash1xyz"}, {"id", "42"}, {"q", ""}});
  }
  SUBCASE("a literal segment beats a parameter") {
    HttpResponse r = router.dispatch(request("GET", "/v1/items/akash1xyz/latest"));
    CHECK(json::parse(r.body) == json{{"latest", true}});
  }
  SUBCASE("rest parameter takes the tail") {
    HttpResponse r = router.dispatch(request("GET", "/v1/files/a/b/c"));
    CHECK(json::parse(r.body)["rest"] == "a/b/c");
    CHECK(router.dispatch(request("GET", "/v1/files")).status == 404);
  }
  SUBCASE("unknown path is 404, wrong method is 405, both with a JSON error") {
    HttpResponse missing = router.dispatch(request("GET", "/v1/nothing"));
    CHECK(missing.status == 404);
    CHECK(json::parse(missing.body)["error"] == "no such endpoint: GET /v1/nothing");
    HttpResponse wrong = router.dispatch(request("DELETE", "/v1/echo"));
    CHECK(wrong.status == 405);
    CHECK(json::parse(wrong.body).contains("error"));
    CHECK(router.dispatch(request("GET", "/v1/items/a")).status == 404);
    CHECK(router.dispatch(request("GET", "/v1/items/a/b/c")).status == 404);
  }
  SUBCASE("a wrong JSON type becomes 400, any other exception 500") {
    HttpRequest r = request("POST", "/v1/echo");
    r.body = R"({"n":"not a number"})";
    CHECK(router.dispatch(r).status == 400);
    CHECK(router.dispatch(request("GET", "/v1/throw")).status == 500);
    CHECK(json::parse(router.dispatch(request("GET", "/v1/throw")).body)["error"] == "internal error: boom");
  }
}

TEST_CASE("ledger::parse_listen_address") {
  CHECK(parse_listen_address("127.0.0.1:8080")->second == 8080);
  CHECK(parse_listen_address(":0")->first == "127.0.0.1");
  CHECK(parse_listen_address("[::1]:9")->first == "::1");
  CHECK_FALSE(parse_listen_address("127.0.0.1").has_value());
  CHECK_FALSE(parse_listen_address("127.0.0.1:70000").has_value());
  CHECK_FALSE(parse_listen_address("127.0.0.1:8x").has_value());
  CHECK(parse_listen_address("host:-1").error().kind == akt::ErrorKind::invalid);
}

TEST_CASE("ledger::error kinds survive the trip through HTTP") {
  for (akt::ErrorKind kind : {akt::ErrorKind::invalid, akt::ErrorKind::failure, akt::ErrorKind::not_found,
                              akt::ErrorKind::refused, akt::ErrorKind::provider, akt::ErrorKind::unreachable}) {
    akt::Error error = akt::make_error(kind, "why");
    error.path = "a.b";
    HttpResponse r = error_response(error);
    HttpClientResponse back{r.status, r.body, {}};
    akt::Error decoded = http_error(back, "http://x");
    CHECK(decoded.kind == kind);
    CHECK(decoded.message == "why");
    CHECK(decoded.path == "a.b");
    CHECK(error_kind_for_status(r.status) == kind);
  }
  HttpClientResponse bare{404, "<html>", {}};
  CHECK(http_error(bare, "http://x/y").message == "http://x/y answered HTTP 404");
  CHECK(http_error(bare, "http://x/y").kind == akt::ErrorKind::not_found);
}

TEST_CASE("ledger::HttpServer and HttpClient on loopback") {
  HttpServerOptions options;
  options.port = 0;
  options.threads = 8;
  options.max_body_bytes = 1024;
  HttpServer server(echo_router(), options);
  REQUIRE(server.start().has_value());
  REQUIRE(server.port() > 0);
  CHECK(server.url() == "http://127.0.0.1:" + std::to_string(server.port()));
  HttpClient client(server.url());

  SUBCASE("GET with params and query") {
    auto r = client.get("/v1/items/" + url_escape("a b") + "/7?q=" + url_escape("x&y"));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->headers["content-type"] == "application/json");
    CHECK(json::parse(r->body) == json{{"owner", "a b"}, {"id", "7"}, {"q", "x&y"}});
  }
  SUBCASE("POST JSON and bad bodies") {
    auto good = client.post_json("/v1/echo", R"({"n":3})");
    REQUIRE(good.has_value());
    CHECK(json::parse(good->body)["n"] == 3);
    auto bad = client.post_json("/v1/echo", "{not json");
    REQUIRE(bad.has_value());
    CHECK(bad->status == 400);
    CHECK(http_error(*bad, "u").message == "body is not JSON");
  }
  SUBCASE("a body over the limit is 413 with a JSON error") {
    std::string big = R"({"n":1,"pad":")" + std::string(4096, 'x') + "\"}";
    auto r = client.post_json("/v1/echo", big);
    REQUIRE(r.has_value());
    CHECK(r->status == 413);
    CHECK(json::parse(r->body)["error"] == "request body too large");
    // The connection still works afterwards.
    auto again = client.post_json("/v1/echo", R"({"n":4})");
    REQUIRE(again.has_value());
    CHECK(again->status == 200);
  }
  SUBCASE("404 and 405 come back as JSON errors") {
    auto r = client.get("/nope");
    REQUIRE(r.has_value());
    CHECK(r->status == 404);
    CHECK(http_error(*r, "u").kind == akt::ErrorKind::not_found);
    auto m = client.request("PUT", "/v1/echo", "{}");
    REQUIRE(m.has_value());
    CHECK(m->status == 405);
  }
  SUBCASE("streamed responses arrive chunk by chunk") {
    std::string got;
    int chunks = 0;
    auto r = client.get_stream("/v1/stream?n=50", [&](std::string_view chunk) {
      got += chunk;
      ++chunks;
      return true;
    });
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->headers["transfer-encoding"] == "chunked");
    CHECK(got.find("line 0\n") == 0);
    CHECK(got.find("line 49\n") != std::string::npos);
    CHECK(chunks >= 1);
  }
  SUBCASE("a reader may stop a stream early") {
    int seen = 0;
    auto r = client.get_stream("/v1/stream?n=100000", [&](std::string_view) { return ++seen < 2; });
    REQUIRE(r.has_value());
    CHECK(seen == 2);
    // A fresh call on the same client still works.
    CHECK(client.get("/v1/items/a/b")->status == 200);
  }
  SUBCASE("many clients in parallel") {
    std::atomic<int> okay{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        HttpClient own(server.url());
        for (int i = 0; i < 25; ++i) {
          auto r = own.post_json("/v1/echo", json{{"n", t * 100 + i}}.dump());
          if (r && r->status == 200 && json::parse(r->body)["n"] == t * 100 + i) ++okay;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(okay == 200);
  }
}

TEST_CASE("ledger::HttpServer stops while a client keeps its connection open") {
  HttpServerOptions options;
  options.keep_alive_timeout = std::chrono::milliseconds(1000);
  HttpServer server(echo_router(), options);
  REQUIRE(server.start().has_value());
  HttpClient client(server.url());
  CHECK(client.get("/v1/items/a/b")->status == 200);
  auto start = std::chrono::steady_clock::now();
  server.stop();
  server.stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  auto after = client.get("/v1/items/a/b");
  REQUIRE_FALSE(after.has_value());
  CHECK(after.error().kind == akt::ErrorKind::unreachable);
}

TEST_CASE("ledger::HttpClient says which URL it cannot reach") {
  // Bind and stop a server to learn a port that nothing listens on.
  int port = 0;
  {
    HttpServer server(HttpRouter{}, HttpServerOptions{});
    REQUIRE(server.start().has_value());
    port = server.port();
  }
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  HttpClient client(url);
  auto r = client.get("/v1/status");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == akt::ErrorKind::unreachable);
  CHECK(r.error().message.find(url + "/v1/status") != std::string::npos);
}

TEST_CASE("ledger::HttpServer refuses an address in use") {
  HttpServer first(HttpRouter{}, HttpServerOptions{});
  REQUIRE(first.start().has_value());
  HttpServerOptions options;
  options.port = first.port();
  HttpServer second(HttpRouter{}, options);
  auto status = second.start();
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().kind == akt::ErrorKind::unreachable);
}
