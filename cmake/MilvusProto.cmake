# Generates C++ protobuf and gRPC stubs from Milvus' .proto files, taken at configure time
# from the pinned npm package (scripts/fetch_protos.sh). Produces the target milvus_proto.
execute_process(
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fetch_protos.sh
  OUTPUT_VARIABLE MILVUS_PROTO_DIR
  RESULT_VARIABLE fetch_result)
if(NOT fetch_result EQUAL 0 OR NOT EXISTS "${MILVUS_PROTO_DIR}/milvus.proto")
  message(FATAL_ERROR "could not fetch Milvus .proto files (npm pack @zilliz/milvus2-sdk-node@2.5.8)")
endif()

find_program(PROTOC protoc REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(MILVUS_PROTOS common schema milvus rg feder msg)
set(gen_dir ${CMAKE_BINARY_DIR}/proto)
file(MAKE_DIRECTORY ${gen_dir})
set(proto_srcs)
foreach(name ${MILVUS_PROTOS})
  set(src ${MILVUS_PROTO_DIR}/${name}.proto)
  set(outs ${gen_dir}/${name}.pb.cc ${gen_dir}/${name}.pb.h)
  if(name STREQUAL "milvus")
    list(APPEND outs ${gen_dir}/${name}.grpc.pb.cc ${gen_dir}/${name}.grpc.pb.h)
    set(grpc_args --grpc_out=${gen_dir} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
  else()
    set(grpc_args)
  endif()
  add_custom_command(
    OUTPUT ${outs}
    # The system's include dir comes first so descriptor.proto matches libprotobuf.
    COMMAND ${PROTOC} -I/usr/include -I${MILVUS_PROTO_DIR} --cpp_out=${gen_dir} ${grpc_args} ${src}
    DEPENDS ${src}
    COMMENT "protoc ${name}.proto")
  list(APPEND proto_srcs ${outs})
endforeach()

add_library(milvus_proto STATIC ${proto_srcs})
target_include_directories(milvus_proto SYSTEM PUBLIC ${gen_dir})
target_link_libraries(milvus_proto PUBLIC PkgConfig::GRPCPP PkgConfig::PROTOBUF)
# Generated code is not ours to warn about.
target_compile_options(milvus_proto PRIVATE -w)
